#!/usr/bin/env bash
# dce-discover --http and --tcp6000 against real servers on loopback: one nginx serving a
# NetBotz-like appliance over HTTPS with a certificate of a test CA made now (verified
# with --ca-file, refused without it, accepted with --insecure), an NMC-like card with
# its own "Internally Generated Certificate", and a NetBotz-like page over plain HTTP;
# a TCP listener with a banner for --tcp6000, and a closed port. Then dce-cert and
# dce-audit take the device records on stdin.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tls.sh"
need dce-discover dce-cert dce-audit jq nginx

tls_init
tls_leaf nb "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"
# What an APC management card generates for itself out of the box (REFERENCE.md).
tls_self nmc "/CN=ZA1234567890/OU=Internally Generated Certificate/O=American Power Conversion Corp"

read -r s_nb s_nmc h_nb <<<"$(tls_ports 3)"
closed=$(free_port)  # nothing listens here

W=$T/www
mkdir -p "$W/nbPages"
cat >"$W/nbPages/index.html" <<'HTML'
<html><head><title>NetBotz 750 Appliance</title></head>
<body><h1>NetBotz Appliance</h1>
<table><tr><td>Serial Number: QA1234567890</td></tr>
<tr><td>Firmware Version: 5.3.1</td></tr></table></body></html>
HTML
cat >"$W/logon.htm" <<'HTML'
<html><head><title>Log On</title></head>
<body>Schneider Electric<br>Network Management Card<br>Rack PDU<br>
<form action="/Forms/login1"><input name="login_username"></form></body></html>
HTML
cat >"$W/plain.html" <<'HTML'
<html><head><title>NetBotz 455 Wall Appliance</title></head><body>NetBotz</body></html>
HTML

N=$T/nginx
nginx_prelude "$N" >"$N.conf"
cat >>"$N.conf" <<CONF
  ssl_session_cache off; ssl_session_tickets off; default_type text/html;
  # The NetBotz-like appliance: / sends the browser to its page under /nbPages/.
  server { listen 127.0.0.1:$s_nb ssl; ssl_certificate $PKI/nb.crt; ssl_certificate_key $PKI/nb.key;
           ssl_protocols TLSv1.2 TLSv1.3; root $W;
           location = / { return 302 /nbPages/index.html; } }
  # The NMC-like card: / sends the browser to its log-on page.
  server { listen 127.0.0.1:$s_nmc ssl; ssl_certificate $PKI/nmc.crt; ssl_certificate_key $PKI/nmc.key;
           ssl_protocols TLSv1.2 TLSv1.3; root $W;
           location = / { return 303 /logon.htm; } }
  # An older appliance over plain HTTP.
  server { listen 127.0.0.1:$h_nb; root $W; location = / { try_files /plain.html =404; } }
}
CONF
bg_start nginx -e "$N/logs/error.log" -p "$N" -c "$N.conf" -g 'daemon off;'
wait_tcp "$s_nb" 10 && wait_tcp "$s_nmc" 10 && wait_tcp "$h_nb" 10 ||
    { fail "nginx did not start: $(cat "$N/logs/error.log")"; finish; }

# --- HTTPS verified with the test CA ---------------------------------------------------
check_status "https with --ca-file" 0 \
    dce-discover --no-snmp --http --http-ports "$s_nb" --ca-file "$PKI/ca.crt" --timeout 5s \
    127.0.0.1 >"$T/nb.jsonl" 2>"$T/nb.err"
validate_records "$T/nb.jsonl"
jq_eq "one device" "$T/nb.jsonl" 'map(select(.type=="device")) | length' 1
jq_eq "id" "$T/nb.jsonl" '.[0].id' "https://127.0.0.1:$s_nb"
jq_eq "transport" "$T/nb.jsonl" '.[0].transport' https
jq_eq "class" "$T/nb.jsonl" '.[0].class' sensor
jq_eq "vendor" "$T/nb.jsonl" '.[0].vendor' APC
jq_eq "model from the title" "$T/nb.jsonl" '.[0].model' "NetBotz 750"
jq_eq "serial from the identity page" "$T/nb.jsonl" '.[0].serial' QA1234567890
jq_eq "firmware" "$T/nb.jsonl" '.[0].firmware' 5.3.1
jq_eq "redirect followed" "$T/nb.jsonl" '.[0].http.url' "https://127.0.0.1:$s_nb/nbPages/index.html"
jq_eq "title" "$T/nb.jsonl" '.[0].http.title' "NetBotz 750 Appliance"
jq_eq "server banner" "$T/nb.jsonl" '.[0].http.server | startswith("nginx")' true
jq_eq "verified" "$T/nb.jsonl" '.[0].tls.verified' true
jq_eq "not insecure" "$T/nb.jsonl" '.[0].insecure // false' false
jq_eq "TLS 1.2+" "$T/nb.jsonl" '.[0].tls.version | test("TLSv1\\.[23]")' true
want_fp=$(openssl x509 -in "$PKI/nb.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
jq_eq "fingerprint" "$T/nb.jsonl" '.[0].tls.fingerprint_sha256' "$want_fp"
jq_eq "subject" "$T/nb.jsonl" '.[0].tls.subject | test("CN=localhost")' true

# --- the same without the CA: refused, plainly ----------------------------------------
check_status "https untrusted" 3 \
    dce-discover --no-snmp --http --http-ports "$s_nb" --timeout 5s 127.0.0.1 >"$T/untrusted.jsonl" 2>"$T/untrusted.err"
validate_records "$T/untrusted.jsonl"
jq_eq "no device when unverified" "$T/untrusted.jsonl" 'map(select(.type=="device")) | length' 0
jq_eq "an error record" "$T/untrusted.jsonl" '.[0].code' tls-unverified
msg=$(jq -r '.message' "$T/untrusted.jsonl")
check_contains "says --insecure" "$msg" "--insecure"
check_contains "says --ca-file" "$msg" "--ca-file"

# --- --insecure: identified, marked unverified -----------------------------------------
check_status "https --insecure" 0 \
    dce-discover --no-snmp --http --http-ports "$s_nb" --insecure --timeout 5s 127.0.0.1 >"$T/insecure.jsonl" 2>"$T/insecure.err"
validate_records "$T/insecure.jsonl"
jq_eq "insecure device" "$T/insecure.jsonl" '.[0].tls.verified' false
jq_eq "insecure flag" "$T/insecure.jsonl" '.[0].insecure' true
jq_eq "insecure model" "$T/insecure.jsonl" '.[0].model' "NetBotz 750"

# --- --insecure given only with --http -------------------------------------------------
check_status "--insecure without --http" 2 dce-discover --no-snmp --tcp6000 --insecure 127.0.0.1 2>/dev/null

# --- the NMC-like card, its own certificate; TCP 6000 in the same run ------------------
/usr/bin/python3 - "$T/tcp.port" "$T/bin.port" >"$T/listener.log" 2>&1 <<'PY' &
import socket, sys, threading
def serve(path, banner):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0)); s.listen(16)
    open(path, "w").write(str(s.getsockname()[1]))
    while True:
        c, _ = s.accept()
        try:
            c.sendall(banner)
        finally:
            c.close()
ts = [threading.Thread(target=serve, args=(sys.argv[1], b"APC Outlet Strip v1\r\n"), daemon=True),
      threading.Thread(target=serve, args=(sys.argv[2], b"\x00\x01\xfe\xff"), daemon=True)]
for t in ts: t.start()
for t in ts: t.join()
PY
_dce_pids+=($!)
for _ in $(seq 100); do [ -s "$T/tcp.port" ] && [ -s "$T/bin.port" ] && break; sleep 0.1; done
tcp_port=$(cat "$T/tcp.port") bin_port=$(cat "$T/bin.port")
wait_tcp "$tcp_port" 10 || fail "the TCP listener did not start: $(cat "$T/listener.log")"

check_status "nmc + tcp6000" 0 \
    dce-discover --no-snmp --http --http-ports "$s_nmc" --insecure --tcp6000 --tcp6000-port "$tcp_port" \
    --timeout 3s 127.0.0.1 >"$T/nmc.jsonl" 2>"$T/nmc.err"
validate_records "$T/nmc.jsonl"
jq_eq "nmc family serial from the cert CN" "$T/nmc.jsonl" 'map(select(.transport=="https"))[0].serial' ZA1234567890
jq_eq "nmc class from the page" "$T/nmc.jsonl" 'map(select(.transport=="https"))[0].class' pdu
jq_eq "nmc vendor" "$T/nmc.jsonl" 'map(select(.transport=="https"))[0].vendor' "Schneider Electric"
jq_eq "nmc log-on page" "$T/nmc.jsonl" 'map(select(.transport=="https"))[0].http.url' "https://127.0.0.1:$s_nmc/logon.htm"
jq_eq "nmc cert OU" "$T/nmc.jsonl" 'map(select(.transport=="https"))[0].tls.subject | test("Internally Generated Certificate")' true
jq_eq "tcp id" "$T/nmc.jsonl" 'map(select(.transport=="tcp"))[0].id' "tcp://127.0.0.1:$tcp_port"
jq_eq "tcp open" "$T/nmc.jsonl" 'map(select(.transport=="tcp"))[0].tcp.open' true
jq_eq "tcp banner" "$T/nmc.jsonl" 'map(select(.transport=="tcp"))[0].tcp.banner' "APC Outlet Strip v1"
jq_eq "tcp pdu: HTTP confirmed the host" "$T/nmc.jsonl" 'map(select(.transport=="tcp"))[0].class' pdu

# --- TCP 6000 alone: nothing confirms a PDU; a binary banner; a closed port -------------
check_status "tcp6000 alone" 0 \
    dce-discover --no-snmp --tcp6000 --tcp6000-port "$bin_port" --timeout 3s 127.0.0.1 >"$T/tcp.jsonl" 2>"$T/tcp.err"
validate_records "$T/tcp.jsonl"
jq_eq "tcp class unknown" "$T/tcp.jsonl" '.[0].class' unknown
jq_eq "binary banner as hex" "$T/tcp.jsonl" '.[0].tcp.banner' "hex:0001feff"
check_status "tcp6000 closed" 0 \
    dce-discover --no-snmp --tcp6000 --tcp6000-port "$closed" --timeout 3s 127.0.0.1 >"$T/closed.jsonl" 2>"$T/closed.err"
check_eq "closed: no record" "" "$(cat "$T/closed.jsonl")"
check_status "tcp6000 closed, reported" 3 \
    dce-discover --no-snmp --tcp6000 --tcp6000-port "$closed" --report-unreachable --timeout 3s 127.0.0.1 \
    >"$T/closed2.jsonl" 2>"$T/closed2.err"
validate_records "$T/closed2.jsonl"
jq_eq "closed: error record" "$T/closed2.jsonl" '.[0].code' closed

# --- plain HTTP, and two ports in one run ----------------------------------------------
check_status "http + https" 0 \
    dce-discover --no-snmp --http --http-ports "$s_nb,$h_nb,$closed" --ca-file "$PKI/ca.crt" --timeout 5s \
    127.0.0.1 >"$T/both.jsonl" 2>"$T/both.err"
validate_records "$T/both.jsonl"
jq_eq "two devices, the closed port silent" "$T/both.jsonl" 'map(select(.type=="device")) | length' 2
jq_eq "http id" "$T/both.jsonl" 'map(select(.transport=="http"))[0].id' "http://127.0.0.1:$h_nb"
jq_eq "http insecure" "$T/both.jsonl" 'map(select(.transport=="http"))[0].insecure' true
jq_eq "http no tls" "$T/both.jsonl" 'map(select(.transport=="http"))[0] | has("tls")' false
jq_eq "http model" "$T/both.jsonl" 'map(select(.transport=="http"))[0].model' "NetBotz 455"
jq_eq "http class" "$T/both.jsonl" 'map(select(.transport=="http"))[0].class' sensor

# --- dce-cert takes the https device ---------------------------------------------------
check_status "dce-cert inspect from device records" 0 \
    dce-cert inspect --ca-file "$PKI/ca.crt" --timeout 5s <"$T/nb.jsonl" >"$T/cert.jsonl" 2>"$T/cert.err"
validate_records "$T/cert.jsonl"
jq_eq "cert record for the device" "$T/cert.jsonl" 'map(select(.type=="cert"))[0].device' "https://127.0.0.1:$s_nb"
jq_eq "cert fingerprint matches discover's" "$T/cert.jsonl" 'map(select(.type=="cert"))[0].fingerprint_sha256' "$want_fp"

# --- dce-audit takes the host, once however many transports found it --------------------
dce-audit --only 'ports.*' --timeout 3s - <"$T/both.jsonl" >"$T/audit.jsonl" 2>"$T/audit.err"
rc=$?
check_contains "dce-audit ran (exit $rc)" "0 1" "$rc"
validate_records "$T/audit.jsonl"
# Findings name "HOST tcp/PORT": one host however many device records named it.
jq_eq "audited one host" "$T/audit.jsonl" '[.[] | select(.type=="finding") | .target | split(" ")[0]] | unique' '[
  "127.0.0.1"
]'

finish
