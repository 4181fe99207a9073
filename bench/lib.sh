# Shared by the bench/*.sh scripts that start servers. Source it with T set to the run's
# temporary directory: every pid added to `pids` is stopped, and T removed, on exit.
pids=()
bench_cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [ -z "${T:-}" ] || rm -rf "$T"
}
trap bench_cleanup EXIT
# free_port: a port free on 127.0.0.1 now, for UDP and TCP alike.
free_port() {
    /usr/bin/python3 -c 'import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); t=socket.socket(); t.bind(("127.0.0.1",s.getsockname()[1])); print(s.getsockname()[1])'
}
# time_fields FILE: "USER SYS MAXRSS" from `/usr/bin/time -f 'DCE_TIME %U %S %M' -o FILE`.
# GNU time writes "Command exited with non-zero status N" (or "terminated by signal")
# before the format when the command fails, so read the tagged line, not the first one.
time_fields() { awk '$1 == "DCE_TIME" {print $2, $3, $4; found = 1} END {if (!found) print "0 0 0"}' "$1"; }
