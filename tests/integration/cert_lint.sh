#!/usr/bin/env bash
# dce-cert lint against real TLS servers on loopback (openssl s_server and nginx), one
# per kind of bad certificate or server setting, with certificates made here by the
# openssl CLI. Each check must say `fail` on the server built to break it and `pass`
# on the good one, so a broken check breaks this test.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tls.sh"
need dce-cert jq nginx

tls_init
tls_leaf good "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"
tls_self self "/CN=localhost" "IP:127.0.0.1"
tls_leaf expired "/CN=localhost" "IP:127.0.0.1" rsa:2048 sha256 20200101000000Z 20210101000000Z
tls_leaf future "/CN=localhost" "IP:127.0.0.1" rsa:2048 sha256 20400101000000Z 20410101000000Z
tls_leaf soon "/CN=localhost" "IP:127.0.0.1" rsa:2048 sha256 "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$(date -u -d '+5 days' +%Y%m%d%H%M%SZ)"
tls_leaf sha1 "/CN=localhost" "IP:127.0.0.1" rsa:2048 sha1
tls_leaf small "/CN=localhost" "IP:127.0.0.1" rsa:1024
tls_leaf wrongname "/CN=wrong.example" "DNS:wrong.example"
tls_leaf nosan "/CN=127.0.0.1" ""
# A management card's factory default: CN = serial, OU marker, issuer = subject.
tls_self vendor "/CN=ZA2215342271/O=American Power Conversion Corp/OU=Internally Generated Certificate" "" rsa:1024

# The good server is nginx set up as the handbook asks: TLS 1.2+, ECDHE AEAD suites only.
good_port=$(free_port)
tls_nginx "$T/nginx" "$PKI/good.crt" "$PKI/good.key" "TLSv1.2 TLSv1.3" "ECDHE+AESGCM:ECDHE+CHACHA20" "$good_port"
low='DEFAULT:@SECLEVEL=0'
declare -A port
tls_s_server "port[self]" self
tls_s_server "port[expired]" expired
tls_s_server "port[future]" future
tls_s_server "port[soon]" soon
tls_s_server "port[sha1]" sha1 -cipher "$low"
tls_s_server "port[small]" small -cipher "$low"
tls_s_server "port[wrongname]" wrongname
tls_s_server "port[nosan]" nosan
tls_s_server "port[vendor]" vendor -cipher "$low"
tls_s_server "port[tls10]" good -tls1 -cipher "$low"
tls_s_server "port[tls11]" good -tls1_1 -cipher "$low"
tls_s_server "port[weak]" good -no_tls1_3 -cipher 'eNULL:aNULL:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0'
tls_s_server "port[nofs]" good -no_tls1_3 -cipher 'AES128-GCM-SHA256'
# OpenSSL's and nginx's defaults: ECDHE preferred, static RSA (AES128-GCM-SHA256) also
# accepted. Mozilla's intermediate profile and testssl.sh call that a warning, not a failure.
tls_s_server "port[fsdefault]" good
nginx_default_port=$(free_port)
tls_nginx "$T/nginx-default" "$PKI/good.crt" "$PKI/good.key" "TLSv1.2 TLSv1.3" "HIGH:!aNULL:!MD5" "$nginx_default_port"
port[nginxdefault]=$nginx_default_port
# A plain-HTTP nginx: a TLS client gets "HTTP/1.1 400" back, which OpenSSL calls a
# wrong version number.
plain_port=$(free_port)
mkdir -p "$T/nginx-plain/logs" "$T/nginx-plain/tmp"
cat >"$T/nginx-plain/nginx.conf" <<CONF
user root; worker_processes 1; pid $T/nginx-plain/nginx.pid; error_log $T/nginx-plain/logs/error.log warn;
events { worker_connections 64; }
http { access_log off; client_body_temp_path $T/nginx-plain/tmp/body; proxy_temp_path $T/nginx-plain/tmp/proxy;
  fastcgi_temp_path $T/nginx-plain/tmp/fcgi; uwsgi_temp_path $T/nginx-plain/tmp/uwsgi; scgi_temp_path $T/nginx-plain/tmp/scgi;
  server { listen 127.0.0.1:$plain_port; location / { return 200 "ok\n"; } }
}
CONF
bg_start nginx -e "$T/nginx-plain/logs/error.log" -p "$T/nginx-plain" -c "$T/nginx-plain/nginx.conf" -g 'daemon off;'
wait_tcp "$plain_port" 10 || fail "plain nginx did not start: $(cat "$T/nginx-plain/logs/error.log")"
dead=$(free_port)  # nothing listens here

targets=("127.0.0.1:$good_port" "127.0.0.1:$dead" "127.0.0.1:$plain_port")
for k in "${!port[@]}"; do targets+=("127.0.0.1:${port[$k]}"); done

# One run over every endpoint at once: concurrency is part of what is tested.
dce-cert lint --ca-file "$PKI/ca.crt" --timeout 3s "${targets[@]}" >"$T/all.jsonl" 2>"$T/all.err"
check_eq "exit status with failures and an unreachable endpoint" 3 $?
validate_records "$T/all.jsonl"

verdict() {  # verdict PORT CHECK -> status
    jq -rs --arg t "127.0.0.1:$1" --arg c "$2" \
        '[.[] | select(.type=="finding" and .target==$t and .check==$c) | .status] | join(",")' "$T/all.jsonl"
}
expect() {  # expect NAME CHECK STATUS
    local p=${port[$1]:-$good_port}
    check_eq "$1: $2" "$3" "$(verdict "$p" "$2")"
}

# The good server passes every check.
for c in cert.vendor-default cert.self-signed cert.trusted-chain cert.hostname cert.expired cert.not-yet-valid \
    cert.expiring cert.signature-hash cert.key-size cert.san tls.protocol-legacy tls.protocol-modern \
    tls.weak-cipher tls.forward-secrecy; do
    check_eq "good: $c" pass "$(verdict "$good_port" "$c")"
done

expect self cert.self-signed fail
expect self cert.trusted-chain fail
expect expired cert.expired fail
expect future cert.not-yet-valid fail
expect soon cert.expiring warn
expect sha1 cert.signature-hash fail
expect small cert.key-size fail
expect wrongname cert.hostname fail
expect nosan cert.san fail
expect vendor cert.vendor-default fail
expect vendor cert.self-signed fail
expect tls10 tls.protocol-legacy fail
expect tls10 tls.protocol-modern fail
expect tls11 tls.protocol-legacy fail
expect weak tls.weak-cipher fail
expect nofs tls.forward-secrecy fail
expect fsdefault tls.forward-secrecy warn
expect nginxdefault tls.forward-secrecy warn
check_contains "static RSA suite named" "$(jq -rs --arg t "127.0.0.1:${port[fsdefault]}" \
    '.[] | select(.target==$t and .check=="tls.forward-secrecy") | .message' "$T/all.jsonl")" "AES"
# ... and the bad servers do not fail what they do right.
expect expired cert.signature-hash pass
expect sha1 cert.key-size pass
expect tls10 cert.trusted-chain pass

check_eq "the weak suite named" 1 "$(jq -s --arg t "127.0.0.1:${port[weak]}" \
    '[.[] | select(.target==$t and .check=="tls.weak-cipher") | .evidence.cipher | select(test("NULL"))] | length' "$T/all.jsonl")"
check_eq "tls1.0 accepted, in evidence" true "$(jq -s --arg t "127.0.0.1:${port[tls10]}" \
    '.[] | select(.target==$t and .check=="tls.protocol-legacy") | .evidence.versions."tls1.0"' "$T/all.jsonl")"
check_eq "unreachable endpoint is one error record" unreachable "$(jq -rs --arg t "127.0.0.1:$dead" \
    '[.[] | select(.type=="error" and .target==$t) | .code] | join(",")' "$T/all.jsonl")"
check_eq "plain-HTTP port is one error record" handshake "$(jq -rs --arg t "127.0.0.1:$plain_port" \
    '[.[] | select(.type=="error" and .target==$t) | .code] | join(",")' "$T/all.jsonl")"
check_contains "plain-HTTP port: said plainly" "$(jq -rs --arg t "127.0.0.1:$plain_port" \
    '.[] | select(.type=="error" and .target==$t) | .message' "$T/all.jsonl")" "not TLS: the server answered in plain HTTP"
check_eq "every reachable endpoint judged" $(( ${#targets[@]} - 2 )) "$(jq -s '[.[] | select(.type=="finding") | .target] | unique | length' "$T/all.jsonl")"
check_eq "findings carry references" 0 "$(jq -s '[.[] | select(.type=="finding" and (.reference // "") == "")] | length' "$T/all.jsonl")"

# Exit status alone: good server 0, a failing check 1.
dce-cert lint --ca-file "$PKI/ca.crt" "127.0.0.1:$good_port" >"$T/good.jsonl" 2>/dev/null
check_eq "good server exit status" 0 $?
validate_records "$T/good.jsonl"
dce-cert lint --ca-file "$PKI/ca.crt" "127.0.0.1:${port[self]}" >"$T/self.jsonl" 2>/dev/null
check_eq "self-signed exit status" 1 $?
# Without --ca-file the test CA is not in the system store: untrusted.
dce-cert lint "127.0.0.1:$good_port" >"$T/sys.jsonl" 2>/dev/null
check_eq "system store does not trust the test CA" fail \
    "$(jq -rs '.[] | select(.check=="cert.trusted-chain") | .status' "$T/sys.jsonl")"
validate_records "$T/sys.jsonl"

# Certificate files (PEM and DER): the certificate checks, no protocol checks.
openssl x509 -in "$PKI/sha1.crt" -outform DER -out "$T/sha1.der"
dce-cert lint --ca-file "$PKI/ca.crt" --host 127.0.0.1 "$PKI/vendor.crt" --file "$T/sha1.der" >"$T/files.jsonl" 2>/dev/null
check_eq "file lint exit status" 1 $?
validate_records "$T/files.jsonl"
check_eq "DER file: sha1 fails" fail "$(jq -rs --arg t "$T/sha1.der" '.[] | select(.target==$t and .check=="cert.signature-hash") | .status' "$T/files.jsonl")"
check_eq "PEM file: vendor default fails" fail "$(jq -rs --arg t "$PKI/vendor.crt" '.[] | select(.target==$t and .check=="cert.vendor-default") | .status' "$T/files.jsonl")"
check_eq "files get no protocol checks" 0 "$(jq -s '[.[] | select(.check|startswith("tls."))] | length' "$T/files.jsonl")"
# Keys this OpenSSL cannot weigh are never passed as "0 bits": an SPKI whose algorithm
# OID nobody knows (as GOST or post-quantum keys look), and RSASSA-PSS with parameters.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=odd \
    -keyout "$T/odd.key" -outform DER -out "$T/odd.der" 2>/dev/null
/usr/bin/python3 - "$T/odd.der" <<'PY'
import sys
p = sys.argv[1]; der = open(p, "rb").read()
ec = bytes.fromhex("06072a8648ce3d0201")  # id-ecPublicKey -> 1.2.840.10045.2.127
assert der.count(ec) == 1
open(p, "wb").write(der.replace(ec, bytes.fromhex("06072a8648ce3d027f")))
PY
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_pss_keygen_md:sha256 \
    -pkeyopt rsa_pss_keygen_mgf1_md:sha256 -pkeyopt rsa_pss_keygen_saltlen:32 -out "$T/pss.key" 2>/dev/null
openssl req -x509 -new -key "$T/pss.key" -subj /CN=pss -days 30 -out "$T/pss.pem" 2>/dev/null
dce-cert lint --format json --file "$T/odd.der" --file "$T/pss.pem" >"$T/keys.jsonl" 2>/dev/null
validate_records "$T/keys.jsonl"
check_eq "undecodable key: cannot judge" warn "$(jq -rs --arg t "$T/odd.der" '.[] | select(.target==$t and .check=="cert.key-size") | .status' "$T/keys.jsonl")"
check_contains "undecodable key: says why" "$(jq -rs --arg t "$T/odd.der" '.[] | select(.target==$t and .check=="cert.key-size") | .message' "$T/keys.jsonl")" "Cannot judge the key: OpenSSL cannot decode its 1.2.840.10045.2.127 key"
check_eq "undecodable key: self-signed cannot be told" warn "$(jq -rs --arg t "$T/odd.der" '.[] | select(.target==$t and .check=="cert.self-signed") | .status' "$T/keys.jsonl")"
check_eq "no key passed as 0 bits" 0 "$(jq -s '[.[] | select(.check=="cert.key-size" and .status=="pass" and (.message | test(" 0 bits")))] | length' "$T/keys.jsonl")"
dce-cert inspect --format json --file "$T/odd.der" >"$T/odd.jsonl" 2>/dev/null
validate_records "$T/odd.jsonl"
check_eq "undecodable key: the cert record names its algorithm" 1.2.840.10045.2.127 "$(jq -r .key.algorithm "$T/odd.jsonl")"
check_contains "undecodable key: the text table says so" "$(dce-cert inspect --format text --file "$T/odd.der" 2>/dev/null)" \
    "key       OpenSSL cannot decode its 1.2.840.10045.2.127 key"
pss=$(jq -rs --arg t "$T/pss.pem" '.[] | select(.target==$t and .check=="cert.key-size") | .status' "$T/keys.jsonl")
check_contains "RSASSA-PSS key judged by its size or not at all" "pass warn" "${pss:-none}"

echo "not a certificate" >"$T/junk.pem"
dce-cert lint --file "$T/junk.pem" >"$T/junk.jsonl" 2>/dev/null
check_eq "unreadable file exit status" 3 $?
check_eq "unreadable file is an error record" parse "$(jq -r .code "$T/junk.jsonl")"
validate_records "$T/junk.jsonl"
finish
