#!/usr/bin/env bash
# dce-store against a PostgreSQL port that accepts connections and never answers (a
# hung server, a wrong service): it gives up after connect_timeout (10 s unless the URL
# says otherwise), and SIGTERM/SIGINT end it at once with exit 130. A silent port once
# held ingest for 201 s, past SIGTERM. No PostgreSQL needed: a silent listener on
# loopback. Nothing here measures time; `timeout` only guards against a hang.
. "$(dirname "$0")/../lib/common.sh"
need python3 timeout
S=dce-store
PORT=$(free_port)
bg_start python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held, n = [], 0
while True:
    c, _ = s.accept(); held.append(c); n += 1
    open(sys.argv[2] + "." + str(n), "w").close()   # one marker per connection accepted
' "$PORT" "$T/accepted"
# wait_accept: until the listener has taken a connection from dce-store.
wait_accept() {
    local i
    for ((i = 0; i < 600; i++)); do
        compgen -G "$T/accepted.*" >/dev/null && return 0
        sleep 0.1
    done
    return 1
}

wait_tcp "$PORT" || fail "the silent listener did not start"
# wait_tcp's own probe: the kernel completes its handshake before the listener accepts
# it, so wait for its marker before removing it (on a loaded machine a late marker once
# looked like dce-store's connection, and the signal came before dce-store had started).
wait_accept || fail "the silent listener did not accept wait_tcp's probe"
rm -f "$T"/accepted.*
URL="postgresql://dce@127.0.0.1:$PORT/dce?sslmode=disable"


for sig in TERM INT; do
    rm -f "$T"/accepted.*
    timeout -k 10 120 "$S" ingest --db "$URL" </dev/null 2>"$T/$sig.err" &
    pid=$!
    wait_accept || fail "SIG$sig: dce-store never connected"
    kill -"$sig" "$pid"
    wait "$pid"
    check_eq "SIG$sig while connecting exits 130" 130 $?
    check_contains "SIG$sig: says so" "$(cat "$T/$sig.err")" "interrupted while connecting"
done

# connect_timeout from the URL, then the default: exit 3 with the reason.
timeout -k 10 120 "$S" query readings --db "$URL&connect_timeout=2" >/dev/null 2>"$T/t2.err"
check_eq "connect_timeout=2 gives up with exit 3" 3 $?
check_contains "the reason names the timeout" "$(cat "$T/t2.err")" "no answer within 2 s (connect_timeout)"
timeout -k 10 120 "$S" query readings --db "$URL" >/dev/null 2>"$T/t10.err"
check_eq "the default timeout gives up with exit 3" 3 $?
check_contains "the default is 10 s" "$(cat "$T/t10.err")" "no answer within 10 s (connect_timeout)"
finish
