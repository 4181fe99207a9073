#!/usr/bin/env bash
# --metrics-file (issue 14): dce-poll --interval and dce-trapd write their own counters
# for node_exporter's textfile collector. `promtool check metrics` accepts each file,
# the values match what happened (2 rounds of 1 device = 2 polls; N traps sent = N
# received and delivered), and the file is replaced atomically (no temp file left).
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-poll dce-trapd snmpd snmptrap promtool jq
export SNMP_PERSISTENT_DIR="$T/net-snmp" MIBS="" MIBDIRS=/dev/null

# value FILE SAMPLE: the value of one sample line (name with its labels).
value() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
promcheck() {
    local out
    out=$(promtool check metrics <"$2" 2>&1)
    check_eq "$1: promtool check metrics passes" "0:" "$?:$out"
}

# --- dce-poll: two rounds of one device, and one of an address nobody answers.
lab_init "$T/lab"
start_snmpd --address 127.0.0.33 --name metricslab || skip "snmpd did not start"
tgt="127.0.0.33:$SNMPD_PORT"
mkdir "$T/textfile"
check_status "poll with --metrics-file" 0 dce-poll --credentials "$LAB_CREDENTIALS" \
    --credential lab-v3-sha256 --profile mib2 --interval 1 --rounds 2 \
    --metrics-file "$T/textfile/dce-poll.prom" "$tgt" >"$T/poll.jsonl" 2>"$T/poll.err"
P="$T/textfile/dce-poll.prom"
promcheck dce-poll "$P"
check_eq "poll: polls_total after 2 rounds" 2 "$(value "$P" dce_poll_polls_total)"
check_eq "poll: no failures" 0 "$(value "$P" dce_poll_poll_failures_total)"
check_eq "poll: overruns counted (none)" 0 "$(value "$P" dce_poll_overruns_total)"
check_eq "poll: one device" 1 "$(value "$P" dce_poll_devices)"
check_eq "poll: readings_total = reading records written" \
    "$(jq -s '[.[] | select(.type=="reading")] | length' "$T/poll.jsonl")" "$(value "$P" dce_poll_readings_total)"
check_contains "poll: HELP and TYPE" "$(cat "$P")" "# TYPE dce_poll_polls_total counter"
check_eq "poll: ends with # EOF" "# EOF" "$(tail -n1 "$P")"
check_eq "poll: no temp file left" "dce-poll.prom" "$(ls -A "$T/textfile")"
check_eq "poll: readable by the collector (0644)" 644 "$(stat -c %a "$P")"

# A device that never answers: a failure, counted.
dead="127.0.0.34:$(free_port)"
dce-poll --credentials "$LAB_CREDENTIALS" --credential lab-v3-sha256 --profile mib2 \
    --timeout 300ms --retries 0 --metrics-file "$T/dead.prom" "$dead" >/dev/null 2>&1
promcheck "dce-poll (failure)" "$T/dead.prom"
check_eq "poll: a failed poll counted" 1 "$(value "$T/dead.prom" dce_poll_poll_failures_total)"

# An unwritable --metrics-file: one error line, polling still done.
dce-poll --credentials "$LAB_CREDENTIALS" --credential lab-v3-sha256 --profile mib2 \
    --metrics-file "$T/no/such/dir/x.prom" "$tgt" >"$T/nodir.jsonl" 2>"$T/nodir.err"
check_contains "poll: unwritable metrics file named" "$(cat "$T/nodir.err")" "--metrics-file $T/no/such/dir/x.prom"
jq_eq "poll: readings written anyway" "$T/nodir.jsonl" '[.[] | select(.type=="reading")] | length > 0' true

# --- dce-trapd: N traps received and delivered, one malformed datagram, one rejected.
(umask 077; printf '[v2c]\nkind = community\ncommunity = metrics-community\n' >"$T/cred")
port=$(free_port)
M="$T/textfile/dce-trapd.prom"
bg_start dce-trapd --listen "127.0.0.1:$port" --credentials "$T/cred" --state-dir "$T/state" \
    --stats-interval 1s --metrics-file "$M" >"$T/trapd.jsonl" 2>"$T/trapd.err"
trapd=${_dce_pids[-1]}
for _ in $(seq 100); do grep -q "listening on" "$T/trapd.err" && break; sleep 0.1; done
for _ in $(seq 50); do [ -s "$M" ] && break; sleep 0.1; done
promcheck "dce-trapd at start" "$M"
check_eq "trapd: nothing received at start" 0 "$(value "$M" dce_trapd_received_total)"
N=5
for i in $(seq 1 $N); do
    snmptrap -v2c -c metrics-community "127.0.0.1:$port" '' 1.3.6.1.4.1.318.0.5
done
snmptrap -v2c -c wrong-community "127.0.0.1:$port" '' 1.3.6.1.4.1.318.0.5
printf 'not snmp' >/dev/udp/127.0.0.1/"$port"
# Wait for the counters (written every --stats-interval) instead of a fixed time.
for _ in $(seq 100); do
    [ "$(value "$M" dce_trapd_received_total)" = $((N + 2)) ] && break
    sleep 0.1
done
check_eq "trapd: received while running" $((N + 2)) "$(value "$M" dce_trapd_received_total)"
kill -TERM "$trapd"
wait "$trapd"
promcheck "dce-trapd at exit" "$M"
check_eq "trapd: received" $((N + 2)) "$(value "$M" dce_trapd_received_total)"
check_eq "trapd: delivered" $N "$(value "$M" dce_trapd_delivered_total)"
check_eq "trapd: events written = delivered" $N "$(jq -s '[.[] | select(.type=="event")] | length' "$T/trapd.jsonl")"
check_eq "trapd: rejected by cause" 1 "$(value "$M" 'dce_trapd_rejected_total{cause="unknown_community"}')"
check_eq "trapd: malformed" 1 "$(value "$M" dce_trapd_malformed_total)"
check_eq "trapd: dropped (queue)" 0 "$(value "$M" 'dce_trapd_dropped_total{where="queue"}')"
check_contains "trapd: queue depth gauge" "$(cat "$M")" "# TYPE dce_trapd_queue_used_bytes gauge"
check_eq "trapd: no temp file left" "dce-poll.prom dce-trapd.prom" "$(ls -A "$T/textfile" | tr '\n' ' ' | sed 's/ $//')"
finish
