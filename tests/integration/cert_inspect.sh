#!/usr/bin/env bash
# dce-cert inspect against real servers on loopback: the cert record's facts match what
# openssl says about the same certificate; protocol probes see what s_server was told
# to accept; device records on stdin are checked and passed through; @inventory and
# plain host lines work; STARTTLS against a real PostgreSQL and a scripted SMTP server;
# a listener that never answers TLS becomes a timeout error record, not a hang.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tls.sh"
need dce-cert jq

tls_init
tls_leaf good "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"
tls_s_server p_modern good -no_tls1_3 -cipher 'ECDHE-RSA-AES128-GCM-SHA256'
tls_s_server p_old good -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'

dce-cert inspect --ca-file "$PKI/ca.crt" "127.0.0.1:$p_modern" "127.0.0.1:$p_old" >"$T/i.jsonl" 2>/dev/null
check_eq "inspect exit status" 0 $?
validate_records "$T/i.jsonl"
rec() { jq -c --arg e "127.0.0.1:$1" 'select(.endpoint==$e)' "$T/i.jsonl"; }
m=$(rec "$p_modern")
check_eq "fingerprint matches openssl" \
    "$(openssl x509 -in "$PKI/good.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)" "$(jq -r .fingerprint_sha256 <<<"$m")"
check_eq "serial matches openssl" "$(openssl x509 -in "$PKI/good.crt" -noout -serial | cut -d= -f2)" "$(jq -r .serial <<<"$m")"
check_eq "subject" "O=dce-tools tests,CN=localhost" "$(jq -r .subject <<<"$m")"
check_eq "sans" '["IP:127.0.0.1","DNS:localhost"]' "$(jq -c .sans <<<"$m")"
check_eq "key" "RSA 2048" "$(jq -r '"\(.key.type) \(.key.bits)"' <<<"$m")"
check_eq "negotiated" "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 true" "$(jq -r '"\(.protocol) \(.cipher) \(.forward_secret)"' <<<"$m")"
check_eq "modern protocols" '{"ssl3":null,"tls1.0":false,"tls1.1":false,"tls1.2":true,"tls1.3":false}' "$(jq -c .protocols <<<"$m")"
check_contains "says why SSLv3 was not tried" "$(jq -r .protocols_note <<<"$m")" "SSLv3"
check_eq "trusted with the CA file" true "$(jq .trusted <<<"$m")"
check_eq "hostname matches" true "$(jq .hostname_match <<<"$m")"
check_eq "chain has the leaf" 1 "$(jq '.chain | length' <<<"$m")"
o=$(rec "$p_old")
check_eq "old server protocols" '{"ssl3":null,"tls1.0":false,"tls1.1":true,"tls1.2":false,"tls1.3":false}' "$(jq -c .protocols <<<"$o")"
check_eq "old server negotiated" TLSv1.1 "$(jq -r .protocol <<<"$o")"

# --no-probe: one handshake, no protocol map.
dce-cert inspect --no-probe "127.0.0.1:$p_modern" >"$T/np.jsonl" 2>/dev/null
check_eq "--no-probe leaves protocols out" null "$(jq .protocols "$T/np.jsonl")"
validate_records "$T/np.jsonl"

# Device records on stdin: HTTPS endpoints checked, every record passed through.
{
    echo "{\"type\":\"device\",\"ts\":\"2026-11-22T08:00:00.000Z\",\"id\":\"https://127.0.0.1:$p_modern\",\"target\":\"127.0.0.1\",\"transport\":\"https\",\"port\":$p_modern}"
    echo '{"type":"device","ts":"2026-11-22T08:00:00.000Z","id":"snmp://127.0.0.1:161","target":"127.0.0.1","transport":"snmp","port":161}'
    echo '{"type":"reading","ts":"2026-11-22T08:00:00.000Z","device":"snmp://127.0.0.1:161","metric":"ups.battery.charge","value":100}'
} >"$T/devices.jsonl"
dce-cert inspect <"$T/devices.jsonl" >"$T/d.jsonl" 2>/dev/null
check_eq "device input exit status" 0 $?
validate_records "$T/d.jsonl"
check_eq "records passed through unchanged" "$(cat "$T/devices.jsonl")" "$(jq -c 'select(.type!="cert")' "$T/d.jsonl")"
check_eq "only the https device checked" "https://127.0.0.1:$p_modern" "$(jq -r 'select(.type=="cert") | .device' "$T/d.jsonl")"
dce-cert inspect --no-forward <"$T/devices.jsonl" >"$T/nf.jsonl" 2>/dev/null
check_eq "--no-forward" cert "$(jq -r .type "$T/nf.jsonl" | sort -u | tr '\n' ' ' | xargs)"

# Plain host lines on stdin and an @inventory file.
echo "127.0.0.1:$p_modern" | dce-cert inspect --no-probe >"$T/s.jsonl" 2>/dev/null
check_eq "host line on stdin" "127.0.0.1:$p_modern" "$(jq -r .endpoint "$T/s.jsonl")"
printf '# lab\n127.0.0.1:%s\n127.0.0.1:%s # old\n' "$p_modern" "$p_old" >"$T/inv.txt"
dce-cert inspect --no-probe @"$T/inv.txt" >"$T/inv.jsonl" 2>/dev/null
check_eq "inventory endpoints" 2 "$(jq -s 'length' "$T/inv.jsonl")"
validate_records "$T/inv.jsonl"

# A listener that accepts TCP but never speaks TLS: a timeout error, the run goes on.
silent=$(free_port)
bg_start /usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $silent)); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
"
wait_tcp "$silent" 10 || fail "the silent listener did not start"
start=$(date +%s%N)
dce-cert inspect --timeout 3s "127.0.0.1:$silent" "127.0.0.1:$p_modern" >"$T/t.jsonl" 2>/dev/null
check_eq "timeout exit status" 3 $?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
validate_records "$T/t.jsonl"
check_eq "timeout error record" timeout "$(jq -r 'select(.type=="error") | .code' "$T/t.jsonl")"
check_eq "the other endpoint still inspected" "127.0.0.1:$p_modern" "$(jq -r 'select(.type=="cert") | .endpoint' "$T/t.jsonl")"
[ "$elapsed" -lt 5000 ] && ok || fail "timeout took ${elapsed} ms"

# STARTTLS: a scripted SMTP server (python ssl) and a real PostgreSQL.
smtp=$(free_port)
# (Written to a file: a background job's stdin is /dev/null, so no heredoc.)
cat >"$T/smtp.py" <<'PY'
import socket, ssl, sys, threading
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", port)); s.listen(64)
def serve(c):
    try:
        c.sendall(b"220-smtp.test ESMTP\r\n220 ready\r\n")
        buf = b""
        while True:
            d = c.recv(1024)
            if not d: return
            buf += d
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                if line.upper().startswith(b"EHLO"):
                    c.sendall(b"250-smtp.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
                elif line.upper() == b"STARTTLS":
                    c.sendall(b"220 go ahead\r\n")
                    t = ctx.wrap_socket(c, server_side=True); t.recv(1); return
                else:
                    c.sendall(b"500 what\r\n")
    except Exception:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
bg_start /usr/bin/python3 "$T/smtp.py" "$smtp" "$PKI/good.crt" "$PKI/good.key"
wait_tcp "$smtp" 10 || fail "the SMTP server did not start"
dce-cert inspect --starttls smtp --ca-file "$PKI/ca.crt" "127.0.0.1:$smtp" >"$T/smtp.jsonl" 2>"$T/smtp.err"
check_eq "smtp starttls exit status" 0 $?
validate_records "$T/smtp.jsonl"
check_eq "smtp starttls record" "smtp true" "$(jq -r '"\(.starttls) \(.trusted)"' "$T/smtp.jsonl")"
check_eq "smtp: python refuses tls1.0" false "$(jq '.protocols."tls1.0"' "$T/smtp.jsonl")"
# A plain TLS server is not an SMTP server: a starttls error, not a crash.
dce-cert inspect --starttls smtp --timeout 1s "127.0.0.1:$p_modern" >"$T/notsmtp.jsonl" 2>/dev/null
check_eq "starttls against a non-SMTP server" 3 $?
validate_records "$T/notsmtp.jsonl"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
if [ -n "$PGBIN" ] && id postgres >/dev/null 2>&1; then
    pg=$(free_port)
    mkdir -p "$T/pg"
    cp "$PKI/good.crt" "$PKI/good.key" "$T/pg/"
    chown -R postgres: "$T/pg"
    chmod 600 "$T/pg/good.key"
    su postgres -c "$PGBIN/initdb -D $T/pg/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >"$T/pg/initdb.log" 2>&1
    su postgres -c "$PGBIN/pg_ctl -D $T/pg/data -l $T/pg/pg.log -w -o '-c listen_addresses=127.0.0.1 -p $pg -k $T/pg -c ssl=on -c ssl_cert_file=$T/pg/good.crt -c ssl_key_file=$T/pg/good.key' start" >/dev/null 2>&1
    trap 'su postgres -c "$PGBIN/pg_ctl -D $T/pg/data -m immediate stop" >/dev/null 2>&1; _dce_cleanup' EXIT
    dce-cert inspect --starttls postgres --ca-file "$PKI/ca.crt" "127.0.0.1:$pg" >"$T/pg.jsonl" 2>"$T/pg.err"
    check_eq "postgres starttls exit status" 0 $?
    validate_records "$T/pg.jsonl"
    check_eq "postgres certificate" "postgres O=dce-tools tests,CN=localhost" "$(jq -r '"\(.starttls) \(.subject)"' "$T/pg.jsonl")"
else
    skip "PostgreSQL is not installed"
fi
finish
