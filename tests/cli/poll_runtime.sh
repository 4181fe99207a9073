# dce-poll's run-time behaviour (issue 9), against tests/lib/fake_agent.py on loopback:
# it sleeps while it waits (no 100% CPU), starts on device records as they arrive on a
# live pipe, stops promptly on SIGTERM while stdin is silent, stops quietly with status 3
# when its reader goes away, and walks with GETNEXT when the agent rejects GETBULK.
# Never asserts on timing: CPU time is compared with wall time with wide margins.
. "$(dirname "$0")/../lib/common.sh"
need dce-poll jq /usr/bin/time
agent() {  # agent NAME [options]: start a fake agent, its port in $T/NAME.port
    bg_start /usr/bin/python3 "$DCE_SOURCE_DIR/tests/lib/fake_agent.py" "$T/$1.port" "${@:2}"
    for _ in $(seq 1 100); do [ -s "$T/$1.port" ] && return 0; sleep 0.1; done
    skip "fake agent did not start"
}
agent plain
agent nobulk --reject-bulk
port=$(cat "$T/plain.port")
printf '[lab]\nkind = community\ncommunity = public\n' >"$T/cred"
chmod 600 "$T/cred"
poll=(dce-poll --credentials "$T/cred" --credential lab --snmp-version v2c --timeout 500ms --retries 0)
device() {  # device ID PORT: a device record for the fake agent
    printf '{"type":"device","ts":"2026-01-01T00:00:00.000Z","id":"%s","target":"127.0.0.1","port":%s,"transport":"snmp","profile":"mib2"}\n' "$1" "$2"
}
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # clock ticks (user + sys)

# 1. Waiting between rounds sleeps: --interval 3 --rounds 2 waits ~3 s; it used to
#    spin for all of them.
/usr/bin/time -f 'DCE_TIME %e %U %S' -o "$T/wait.time" "${poll[@]}" --profile mib2 \
    --interval 3 --rounds 2 --jitter 0 "127.0.0.1:$port" >"$T/wait.jsonl" 2>"$T/wait.err"
check_eq "interval run exit" 0 $?
validate_records "$T/wait.jsonl"
read -r wall user sys < <(awk '$1 == "DCE_TIME" {print $2, $3, $4}' "$T/wait.time")
check_eq "interval run: CPU ($user + $sys s) far below wall time ($wall s)" yes \
    "$(python3 -c "print('yes' if ($user + $sys) * 4 < $wall else 'no')")"

# 2. Rate-limited polling sleeps for its tokens too: 8 devices at 2 requests/s.
for i in $(seq 1 8); do device "snmp://dev$i" "$port"; done >"$T/many.jsonl"
/usr/bin/time -f 'DCE_TIME %e %U %S' -o "$T/rate.time" "${poll[@]}" --rate 2 --no-forward \
    <"$T/many.jsonl" >"$T/rate.jsonl" 2>"$T/rate.err"
check_eq "rate-limited run exit" 0 $?
read -r wall user sys < <(awk '$1 == "DCE_TIME" {print $2, $3, $4}' "$T/rate.time")
check_eq "rate-limited run: CPU ($user + $sys s) far below wall time ($wall s)" yes \
    "$(python3 -c "print('yes' if ($user + $sys) * 4 < $wall else 'no')")"

# 3. A live pipe: polling starts with the first record, long before EOF; SIGTERM while
#    stdin is silent ends the run with 130.
mkfifo "$T/in"
"${poll[@]}" --interval 1 <"$T/in" >"$T/live.jsonl" 2>"$T/live.err" &
pid=$!
exec 3>"$T/in"
device snmp://live1 "$port" >&3
for _ in $(seq 1 150); do grep -q '"type":"reading"' "$T/live.jsonl" 2>/dev/null && break; sleep 0.1; done
check_contains "a reading before stdin closed" "$(cat "$T/live.jsonl")" '"type":"reading"'
c1=$(cpu_of "$pid"); sleep 2; c2=$(cpu_of "$pid")
check_eq "waiting on a silent stdin costs (almost) no CPU ($((c2 - c1)) ticks in 2 s)" yes \
    "$([ $((c2 - c1)) -lt 50 ] && echo yes)"
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { fail "SIGTERM with stdin open: still running after 10 s"; kill -9 "$pid"; }
wait "$pid"
check_eq "SIGTERM during a silent stdin" 130 $?
exec 3>&-
validate_records "$T/live.jsonl"

# 4. A closed pipe downstream stops the run quietly with 3; a full disk is an error.
for i in $(seq 1 300); do device "snmp://d$i" "$port"; done >"$T/lots.jsonl"
"${poll[@]}" --rate 0 <"$T/lots.jsonl" 2>"$T/head.err" | head -1 >/dev/null
check_eq "| head -1: exit status" 3 "${PIPESTATUS[0]}"
check_eq "| head -1: nothing on stderr" "" "$(grep -v -e 'reading(s)' -e 'is plaintext' "$T/head.err")"
"${poll[@]}" --no-forward --rate 0 <"$T/lots.jsonl" 2>"$T/head2.err" | head -5 >/dev/null
check_eq "--no-forward | head -5: exit status" 3 "${PIPESTATUS[0]}"
"${poll[@]}" --no-forward <"$T/many.jsonl" >/dev/full 2>"$T/full.err"
check_eq "> /dev/full: exit status" 3 $?
check_contains "> /dev/full: says why" "$(cat "$T/full.err")" "No space left on device"

# The same in dce-discover, which aborted (134) on the uncaught error: 16 targets, the
# unreachable ones reported, so there is more to write after head has gone.
dce-discover --credentials "$T/cred" --snmp-version v2c --timeout 300ms --retries 0 \
    --report-unreachable --no-progress -p "$port" 127.0.0.0/28 2>"$T/disc.err" | head -1 >/dev/null
check_eq "dce-discover | head -1: exit status" 3 "${PIPESTATUS[0]}"
check_not_contains "dce-discover | head -1: no abort" "$(cat "$T/disc.err")" "terminate"

# 4b. Progress on a terminal redraws at most ~10 times a second (it wrote megabytes).
if command -v script >/dev/null; then
    # stderr is the pty; `script` copies what the pty shows into $T/tty.log.
    script -qec "${poll[*]} --profile mib2 --interval 2 --rounds 2 --jitter 0 127.0.0.1:$port >/dev/null" "$T/tty.log" >/dev/null </dev/null
    redraws=$(tr '\r' '\n' <"$T/tty.log" | grep -c 'in flight')
    check_eq "progress redraws over a ~2 s run: $redraws (at most ~10/s)" yes "$([ "$redraws" -le 60 ] && echo yes)"
fi

# 5. GETBULK rejected (genErr): the table is walked with GETNEXT, and every row is read.
device snmp://nobulk "$(cat "$T/nobulk.port")" >"$T/nb-in.jsonl"
"${poll[@]}" --no-forward --log-level trace <"$T/nb-in.jsonl" >"$T/nb.jsonl" 2>"$T/nb.err"
check_eq "GETBULK rejected: exit" 0 $?
validate_records "$T/nb.jsonl"
jq_eq "GETBULK rejected: all 5 rows of ifOperStatus" "$T/nb.jsonl" \
    '[.[] | select(.type=="reading" and .source != null and (.source | startswith("1.3.6.1.2.1.2.2.1.8.")))] | length' 5
check_contains "GETBULK rejected: GETNEXT was used" "$(cat "$T/nobulk.port.stats")" "getnext"
check_contains "trace says it fell back" "$(cat "$T/nb.err")" "walked with GETNEXT"
finish
