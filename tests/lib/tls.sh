# TLS test helpers (bash), sourced after common.sh: a throw-away PKI made with the
# openssl CLI at test time, and real TLS servers (openssl s_server, nginx) on loopback
# at ports chosen at run time. Everything lives in $T and is stopped at exit.
#
#     . "$(dirname "$0")/../lib/common.sh"; . "$(dirname "$0")/../lib/tls.sh"
#     tls_init                                # test CA in $PKI/ca.crt
#     tls_leaf good "/CN=localhost" "IP:127.0.0.1,DNS:localhost"
#     tls_s_server port good                  # s_server with good.crt/good.key; $port
#     dce-cert lint --ca-file "$PKI/ca.crt" 127.0.0.1:$port

need openssl

PKI=$T/pki

tls_init() {
    mkdir -p "$PKI/db"
    : >"$PKI/db/index.txt"
    echo 1000 >"$PKI/db/serial"
    cat >"$PKI/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $PKI/db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
email_in_dn = no
x509_extensions = leaf_ext
[ anything ]
commonName = optional
organizationName = optional
organizationalUnitName = optional
countryName = optional
[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
CNF
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 -subj "/CN=DCE Test CA/O=dce-tools tests" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null || { fail "cannot make the test CA"; return 1; }
}

# tls_leaf NAME SUBJECT SAN [KEYSPEC] [MD] [STARTDATE ENDDATE]: a CA-signed certificate
# in $PKI/NAME.crt with key $PKI/NAME.key. SAN "" = no subjectAltName. KEYSPEC as for
# openssl req -newkey (rsa:2048, rsa:1024, ec -pkeyopt ...); dates YYYYMMDDHHMMSSZ.
tls_leaf() {
    local name=$1 subj=$2 san=$3 key=${4:-rsa:2048} md=${5:-sha256} start=${6:-} end=${7:-}
    local args=(-new -newkey "$key" -nodes -keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr")
    [ -n "$san" ] && args+=(-addext "subjectAltName=$san")
    openssl req "${args[@]}" 2>/dev/null || { fail "cannot make the request for $name"; return 1; }
    local dates=(-days 90)
    [ -n "$start" ] && dates=(-startdate "$start" -enddate "$end")
    openssl ca -batch -notext -config "$PKI/ca.cnf" -cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" -md "$md" \
        "${dates[@]}" -in "$PKI/$name.csr" -out "$PKI/$name.crt" 2>"$PKI/$name.ca.log" ||
        { fail "cannot sign $name: $(cat "$PKI/$name.ca.log")"; return 1; }
}

# tls_self NAME SUBJECT [SAN] [KEYSPEC] [MD]: a self-signed certificate.
tls_self() {
    local name=$1 subj=$2 san=${3:-} key=${4:-rsa:2048} md=${5:-sha256}
    local args=(-x509 -newkey "$key" -nodes "-$md" -days 30 -subj "$subj" -keyout "$PKI/$name.key" -out "$PKI/$name.crt")
    [ -n "$san" ] && args+=(-addext "subjectAltName=$san")
    openssl req "${args[@]}" 2>/dev/null || { fail "cannot make self-signed $name"; return 1; }
}

# tls_s_server VAR NAME [s_server options...]: serves $PKI/NAME.crt on a fresh port and
# sets VAR to the port. (Not "$(tls_s_server ...)": a subshell would lose the server's
# pid, and the server would outlive the test.)
tls_s_server() {
    local _var=$1 _name=$2; shift 2
    local _port
    _port=$(free_port)
    bg_start openssl s_server -accept "127.0.0.1:$_port" -cert "$PKI/$_name.crt" -key "$PKI/$_name.key" \
        -www -quiet "$@" </dev/null >>"$T/s_server.$_port.log" 2>&1
    wait_tcp "$_port" 10 || { fail "s_server for $_name did not start: $(cat "$T/s_server.$_port.log")"; return 1; }
    printf -v "$_var" '%s' "$_port"
}

# tls_nginx DIR CERT KEY PROTOCOLS CIPHERS PORT...: one nginx (master + 1 worker) with
# the same certificate on every PORT; config, pid, logs and temp dirs in DIR.
tls_nginx() {
    need nginx
    local dir=$1 cert=$2 key=$3 protocols=$4 ciphers=$5; shift 5
    mkdir -p "$dir/logs" "$dir/tmp"
    {
        echo "user root; worker_processes 1; pid $dir/nginx.pid; error_log $dir/logs/error.log warn;"
        echo "events { worker_connections 4096; }"
        echo "http { access_log off; client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;"
        echo "  fastcgi_temp_path $dir/tmp/fcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;"
        echo "  server {"
        local p
        for p in "$@"; do echo "    listen 127.0.0.1:$p ssl;"; done
        echo "    ssl_certificate $cert; ssl_certificate_key $key;"
        echo "    ssl_protocols $protocols; ssl_ciphers '$ciphers'; ssl_prefer_server_ciphers on;"
        echo "    ssl_session_cache off; ssl_session_tickets off;"
        echo "    location / { return 200 \"ok\\n\"; }"
        echo "  }"
        echo "}"
    } >"$dir/nginx.conf"
    bg_start nginx -e "$dir/logs/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
    wait_tcp "$1" 10 || { fail "nginx did not start: $(cat "$dir/logs/error.log")"; return 1; }
}

# nginx_prelude DIR: the start of an nginx.conf that keeps everything (pid, logs, temp
# dirs) in DIR, up to and including "http {"; the caller writes its servers and "}".
nginx_prelude() {
    local dir=$1
    mkdir -p "$dir/logs" "$dir/tmp"
    echo "user root; worker_processes 1; pid $dir/nginx.pid; error_log $dir/logs/error.log warn;"
    echo "events { worker_connections 256; }"
    echo "http { access_log off; client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;"
    echo "  fastcgi_temp_path $dir/tmp/fcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;"
}

# Ports for tls_nginx: N fresh ports, space-separated.
tls_ports() {
    local n=$1 i
    /usr/bin/python3 - "$n" <<'PY'
import socket, sys
n = int(sys.argv[1]); socks = []; ports = []
for _ in range(n):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s); ports.append(s.getsockname()[1])
print(" ".join(map(str, ports)))
PY
}

# The SARIF 2.1.0 schema: beside the project in ../shared (CI has it).
sarif_schema() {
    local s="$DCE_SOURCE_DIR/../shared/schemas/sarif-schema-2.1.0.json"
    [ -f "$s" ] && echo "$s"
}
