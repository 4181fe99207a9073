#!/usr/bin/env bash
# dce-audit's web, cert and login families against one real nginx on loopback: one server
# block per configuration (good redirect + HSTS, 302, plain content, no HSTS, short HSTS,
# TLS 1.0 allowed, the vendor's default certificate, basic-auth logins with and without
# the apc/apc account). Each check must say pass on the configuration built to pass it
# and fail (or warn) on the one built to break it, so a broken check breaks this test.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tls.sh"
need dce-audit jq nginx

tls_init
tls_leaf good "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"
# What an APC management card generates for itself out of the box.
tls_self vendor "/CN=ZA1234567890/OU=Internally Generated Certificate/O=American Power Conversion Corp"
# A CA the good certificate does not chain to.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Some Other CA" \
    -keyout "$T/other-ca.key" -out "$T/other-ca.crt" 2>/dev/null || fail "cannot make the other CA"

read -r h_good h_302 h_200 s_good s_nohsts s_short s_tls10 s_vendor l_apc l_noapc <<<"$(tls_ports 10)"
dead=$(free_port)  # nothing listens here: HTTP off

# Basic-auth password files: one with the vendor default apc/apc, one without it.
printf 'apc:%s\n' "$(openssl passwd -apr1 apc)" >"$T/with-apc.htpasswd"
printf 'operator:%s\n' "$(openssl passwd -apr1 "$(openssl rand -hex 12)")" >"$T/no-apc.htpasswd"
: >"$T/quiet.log"  # a log nothing ever writes to
mkdir -p "$T/www" && echo welcome >"$T/www/index.html"

N=$T/nginx
mkdir -p "$N/logs" "$N/tmp"
ssl="ssl_certificate $PKI/good.crt; ssl_certificate_key $PKI/good.key; ssl_protocols TLSv1.2 TLSv1.3;"
hsts='add_header Strict-Transport-Security "max-age=31536000" always;'
cat >"$N/nginx.conf" <<CONF
user root; worker_processes 1; pid $N/nginx.pid; error_log $N/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off; client_body_temp_path $N/tmp/body; proxy_temp_path $N/tmp/proxy;
  fastcgi_temp_path $N/tmp/fcgi; uwsgi_temp_path $N/tmp/uwsgi; scgi_temp_path $N/tmp/scgi;
  ssl_session_cache off; ssl_session_tickets off;
  # Plain HTTP: permanent redirect, temporary redirect, content (with an HSTS header that
  # browsers ignore over HTTP).
  server { listen 127.0.0.1:$h_good; location / { return 301 https://127.0.0.1:$s_good\$request_uri; } }
  server { listen 127.0.0.1:$h_302; location / { return 302 https://127.0.0.1:$s_good\$request_uri; } }
  server { listen 127.0.0.1:$h_200; $hsts location / { return 200 "plain content\n"; } }
  # HTTPS: as the handbook asks; without HSTS; HSTS for ten minutes; TLS 1.0 allowed.
  server { listen 127.0.0.1:$s_good ssl; $ssl $hsts location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$s_nohsts ssl; $ssl location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$s_short ssl; $ssl add_header Strict-Transport-Security "max-age=600" always;
           location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$s_tls10 ssl; ssl_certificate $PKI/good.crt; ssl_certificate_key $PKI/good.key;
           ssl_protocols TLSv1 TLSv1.1 TLSv1.2; ssl_ciphers 'DEFAULT:@SECLEVEL=0'; $hsts
           location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$s_vendor ssl; ssl_certificate $PKI/vendor.crt; ssl_certificate_key $PKI/vendor.key;
           location / { return 200 "ok\n"; } }
  # Logins: nginx writes a refused basic-auth user to error_log ("user ... was not found").
  # Static content behind auth_basic: "return" would answer before the access phase.
  server { listen 127.0.0.1:$l_apc ssl; $ssl error_log $N/logs/login-apc.log info;
           location / { auth_basic "card"; auth_basic_user_file $T/with-apc.htpasswd; root $T/www; } }
  server { listen 127.0.0.1:$l_noapc; error_log $N/logs/login-noapc.log info;
           location / { auth_basic "card"; auth_basic_user_file $T/no-apc.htpasswd; root $T/www; } }
}
CONF
bg_start nginx -e "$N/logs/error.log" -p "$N" -c "$N/nginx.conf" -g 'daemon off;'
for p in $h_good $s_good $l_noapc; do
    wait_tcp "$p" 10 || fail "nginx did not start: $(cat "$N/logs/error.log")"
done

# Can this OpenSSL/nginx still speak TLS 1.0 at all? (Debian 12: yes, at SECLEVEL=0.)
tls10_works=no
if openssl s_client -connect "127.0.0.1:$s_tls10" -tls1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$T/tls10.out" 2>&1; then
    tls10_works=yes
fi

# ---- web.* ---------------------------------------------------------------------------
web() {  # web NAME HTTP_MODE HTTP_PORT HTTPS_PORT HSTS
    printf '{"address": "127.0.0.1", "name": "%s", "web": {"http": "%s", "http_port": %s, "https_port": %s, "hsts": %s}}' "$@"
}
cat >"$T/web.json" <<JSON
{
  "targets": [
    $(web good redirect "$h_good" "$s_good" true),
    $(web temp302 redirect "$h_302" "$s_good" true),
    $(web plain200 redirect "$h_200" "$s_good" true),
    $(web nohsts off "$dead" "$s_nohsts" true),
    $(web shorthsts allowed "$h_good" "$s_short" true),
    $(web httpon off "$h_good" "$s_good" false),
    $(web tls10 allowed "$h_good" "$s_tls10" false)
  ]
}
JSON
dce-audit --policy "$T/web.json" --only 'web.*' --timeout 3s >"$T/web.jsonl" 2>"$T/web.err"
check_eq "web run: exit status with failures" 1 $?
validate_records "$T/web.jsonl"

status() {  # status FILE TARGET CHECK
    jq -rs --arg t "$2" --arg c "$3" '[.[] | select(.type=="finding" and .target==$t and .check==$c) | .status] | join(",")' "$1"
}
field() {  # field FILE TARGET CHECK JQ-PATH
    jq -rs --arg t "$2" --arg c "$3" "[.[] | select(.type==\"finding\" and .target==\$t and .check==\$c) | $4] | join(\",\")" "$1"
}
expect() {  # expect FILE TARGET CHECK STATUS
    check_eq "$2 $3" "$4" "$(status "$1" "$2" "$3")"
}

# Everything as the handbook asks: all pass (HTTP off is not this policy's choice).
expect "$T/web.jsonl" good web.https-redirect pass
expect "$T/web.jsonl" good web.hsts pass
expect "$T/web.jsonl" good web.tls pass
expect "$T/web.jsonl" good web.http-off skip
check_eq "good: redirect location" "https://127.0.0.1:$s_good/" "$(field "$T/web.jsonl" good web.https-redirect .evidence.location)"
check_eq "good: max-age evidence" 31536000 "$(field "$T/web.jsonl" good web.hsts .evidence.max_age)"
# 302 is not permanent; 200 is content over HTTP.
expect "$T/web.jsonl" temp302 web.https-redirect fail
check_contains "302 message" "$(field "$T/web.jsonl" temp302 web.https-redirect .message)" "permanent redirect (301 or 308) is needed"
expect "$T/web.jsonl" plain200 web.https-redirect fail
check_contains "200 message" "$(field "$T/web.jsonl" plain200 web.https-redirect .message)" "serves content over plain HTTP"
check_eq "HSTS sent over HTTP is noted" "max-age=31536000" "$(field "$T/web.jsonl" plain200 web.hsts .evidence.sent_over_http)"
# HSTS missing: fail; short: warn with the value.
expect "$T/web.jsonl" nohsts web.hsts fail
expect "$T/web.jsonl" shorthsts web.hsts warn
check_contains "short HSTS message" "$(field "$T/web.jsonl" shorthsts web.hsts .message)" "max-age=600"
expect "$T/web.jsonl" shorthsts web.https-redirect skip
# HTTP off: nothing listening passes, a listening port fails.
expect "$T/web.jsonl" nohsts web.http-off pass
expect "$T/web.jsonl" httpon web.http-off fail
expect "$T/web.jsonl" httpon web.hsts skip
# TLS: 1.2+ only passes; TLS 1.0 accepted fails (when this OpenSSL can still offer it).
if [ "$tls10_works" = yes ]; then
    expect "$T/web.jsonl" tls10 web.tls fail
    check_contains "TLS 1.0 message" "$(field "$T/web.jsonl" tls10 web.tls .message)" "tls1.0"
else
    echo "NOTE: this OpenSSL/nginx cannot negotiate TLS 1.0; only the TLS 1.2+ case is tested" >&2
    cat "$T/tls10.out" >&2
fi
check_eq "tls versions evidence" refused "$(field "$T/web.jsonl" good web.tls '.evidence.versions["tls1.0"]')"
# --only keeps other families silent.
check_eq "only web findings" 0 "$(jq -s '[.[] | select(.type=="finding" and (.check | startswith("web.") | not))] | length' "$T/web.jsonl")"

# ---- cert.* --------------------------------------------------------------------------
cat >"$T/cert.json" <<JSON
{
  "targets": [
    {"address": "127.0.0.1", "name": "labca", "cert": {"port": $s_good, "ca_file": "$PKI/ca.crt", "issuer": "DCE Test CA"}},
    {"address": "127.0.0.1", "name": "otherca", "cert": {"port": $s_good, "ca_file": "$T/other-ca.crt"}},
    {"address": "127.0.0.1", "name": "wrongissuer", "cert": {"port": $s_good, "ca_file": "$PKI/ca.crt", "issuer": "CN=Someone Else"}},
    {"address": "127.0.0.1", "name": "noca", "cert": {"port": $s_good}},
    {"address": "127.0.0.1", "name": "vendor", "cert": {"port": $s_vendor, "ca_file": "$PKI/ca.crt"}}
  ]
}
JSON
dce-audit --policy "$T/cert.json" --only 'cert.*' --timeout 3s >"$T/cert.jsonl" 2>"$T/cert.err"
check_eq "cert run: exit status with failures" 1 $?
validate_records "$T/cert.jsonl"
expect "$T/cert.jsonl" labca cert.default-replaced pass
expect "$T/cert.jsonl" labca cert.trusted pass
expect "$T/cert.jsonl" otherca cert.trusted fail
expect "$T/cert.jsonl" wrongissuer cert.trusted fail
expect "$T/cert.jsonl" noca cert.trusted skip
expect "$T/cert.jsonl" vendor cert.default-replaced fail
check_contains "vendor message" "$(field "$T/cert.jsonl" vendor cert.default-replaced .message)" "Internally Generated Certificate"
expect "$T/cert.jsonl" vendor cert.trusted fail

# ---- login.* -------------------------------------------------------------------------
# A form login like a card's web UI: a good login is redirected away from /login, a bad
# one gets the form again and a line in its log.
cat >"$T/form_server.py" <<'PY'
import sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
port, log = int(sys.argv[1]), sys.argv[2]
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        f = urllib.parse.parse_qs(self.rfile.read(n).decode())
        user, pw = f.get("user", [""])[0], f.get("pass", [""])[0]
        if (user, pw) == ("device", "apc"):
            self.send_response(302); self.send_header("Location", "/home"); self.end_headers(); return
        with open(log, "a") as fh:
            fh.write("web: failed login for user=%s from %s\n" % (user, self.client_address[0]))
        body = b"<form>bad login</form>"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def do_GET(self):  # /log: the log over HTTP, like a collector's search page
        body = open(log, "rb").read()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
form_port=$(free_port)
: >"$T/form.log"
bg_start /usr/bin/python3 "$T/form_server.py" "$form_port" "$T/form.log" </dev/null
wait_tcp "$form_port" 10 || fail "the form login server did not start"

login_policy() {  # login_policy TRY_DEFAULTS NOAPC_LOG [DEFAULT_ACCOUNTS]
    local accounts=""
    [ -n "${3:-}" ] && accounts="\"default_accounts\": $3,"
    cat <<JSON
{
  "try_default_logins": $1,
  $accounts
  "targets": [
    {"address": "127.0.0.1", "name": "apc-on",
     "web": {"login": {"url": "https://{host}:$l_apc/", "kind": "basic"}},
     "logs": {"kind": "file", "path": "$N/logs/login-apc.log",
              "pattern": "user \"{user}\" was not found", "window": "20s"}},
    {"address": "127.0.0.1", "name": "apc-off",
     "web": {"login": {"url": "http://127.0.0.1:$l_noapc/", "kind": "basic"}},
     "logs": {"kind": "file", "path": "$2", "window": "3s"}},
    {"address": "127.0.0.1", "name": "form",
     "web": {"login": {"url": "http://{host}:$form_port/login", "kind": "form",
                       "user_field": "user", "pass_field": "pass"}},
     "logs": {"kind": "file", "path": "$T/form.log",
              "pattern": "failed login for user={user} from", "window": "20s"}},
    {"address": "127.0.0.1", "name": "form-httplog",
     "web": {"login": {"url": "http://{host}:$form_port/login", "kind": "form",
                       "user_field": "user", "pass_field": "pass"}},
     "logs": {"kind": "http", "url": "http://127.0.0.1:$form_port/log", "window": "20s"}}
  ]
}
JSON
}
login_policy true "$T/quiet.log" >"$T/login.json"
dce-audit --policy "$T/login.json" --only 'login.*' --timeout 3s >"$T/login.jsonl" 2>"$T/login.err"
check_eq "login run: exit status with failures" 1 $?
validate_records "$T/login.jsonl"
expect "$T/login.jsonl" apc-on login.default-credentials fail
check_eq "apc-on severity" critical "$(field "$T/login.jsonl" apc-on login.default-credentials .severity)"
check_eq "accepted account" "apc:accepted" "$(field "$T/login.jsonl" apc-on login.default-credentials '(.evidence.accounts[] | select(.result=="accepted") | .user + ":" + .result)')"
check_eq "one attempt per account" 3 "$(field "$T/login.jsonl" apc-on login.default-credentials '.evidence.accounts | length')"
expect "$T/login.jsonl" apc-off login.default-credentials pass
expect "$T/login.jsonl" apc-on login.refused-and-logged pass
check_contains "log line found" "$(field "$T/login.jsonl" apc-on login.refused-and-logged .evidence.line)" 'user "dce-audit-probe" was not found'
expect "$T/login.jsonl" apc-off login.refused-and-logged fail
check_contains "window in the message" "$(field "$T/login.jsonl" apc-off login.refused-and-logged .message)" "within 3s"
# Three default accounts on each target, and the probe once: nginx saw exactly that.
check_eq "probe attempts in the log" 1 "$(grep -c 'user "dce-audit-probe" was not found' "$N/logs/login-apc.log")"
check_eq "default accounts tried at apc-on" 2 "$(grep -cE 'user "(device|readonly)" was not found' "$N/logs/login-apc.log")"

# Form logins: device/apc is redirected away from the form (accepted), the probe is not.
expect "$T/login.jsonl" form login.default-credentials fail
check_eq "form: accepted account" device "$(field "$T/login.jsonl" form login.default-credentials '(.evidence.accounts[] | select(.result=="accepted") | .user)')"
expect "$T/login.jsonl" form login.refused-and-logged pass
expect "$T/login.jsonl" form-httplog login.refused-and-logged pass
check_contains "http log: found" "$(field "$T/login.jsonl" form-httplog login.refused-and-logged .evidence.line)" "user=dce-audit-probe"
check_eq "form: the probe once per target in the log" 2 "$(grep -c 'user=dce-audit-probe' "$T/form.log")"

# The same with the nginx log as apc-off's log: found there.
login_policy false "$N/logs/login-noapc.log" >"$T/login2.json"
dce-audit --policy "$T/login2.json" --only 'login.*' --timeout 3s >"$T/login2.jsonl" 2>"$T/login2.err"
check_eq "login run without default logins: exit status" 0 $?
validate_records "$T/login2.jsonl"
expect "$T/login2.jsonl" apc-on login.default-credentials skip
check_contains "skip says why" "$(field "$T/login2.jsonl" apc-on login.default-credentials .message)" "try_default_logins"
expect "$T/login2.jsonl" apc-off login.refused-and-logged pass
check_eq "no default account tried when not allowed" 2 "$(grep -cE 'user "(device|readonly)" was not found' "$N/logs/login-apc.log")"

# logs.kind "journal": journalctl on this machine. Without a journal (a container) that
# is an error said before any login; with one, nothing here logs there: not found.
cat >"$T/journal.json" <<JSON
{"targets": [{"address": "127.0.0.1", "name": "journal",
  "web": {"login": {"url": "http://127.0.0.1:$l_noapc/", "kind": "basic"}},
  "logs": {"kind": "journal", "window": "3s"}}]}
JSON
dce-audit --policy "$T/journal.json" --only 'login.*' --timeout 3s >"$T/journal.jsonl" 2>"$T/journal.err"
validate_records "$T/journal.jsonl"
if ! command -v journalctl >/dev/null || ! find /run/log/journal /var/log/journal -name '*.journal' 2>/dev/null | grep -q .; then
    expect "$T/journal.jsonl" journal login.refused-and-logged error
    check_contains "journal error says why" "$(field "$T/journal.jsonl" journal login.refused-and-logged .message)" "journal"
else
    expect "$T/journal.jsonl" journal login.refused-and-logged fail
fi

# Passwords never reach the output: the policy's default-account passwords (one known
# here) and the probe's random one (nginx's log has the user only; the output must not
# carry any "password" field or an Authorization value).
pw=Zq9-default-pw-7
login_policy true "$T/quiet.log" "[{\"user\": \"apc\", \"password\": \"$pw\"}]" >"$T/login3.json"
dce-audit --policy "$T/login3.json" --only 'login.default-credentials' --timeout 3s >"$T/login3.jsonl" 2>"$T/login3.err"
check_eq "override accounts: exit status" 0 $?
expect "$T/login3.jsonl" apc-on login.default-credentials pass
for f in web cert login login2 login3 journal; do
    out=$(cat "$T/$f.jsonl" "$T/$f.err")
    check_not_contains "$f: no password" "$out" "$pw"
    check_not_contains "$f: no password field" "$out" '"password"'
    check_not_contains "$f: no Authorization" "$out" "Basic "
done

finish
