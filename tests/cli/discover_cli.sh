#!/usr/bin/env bash
# dce-discover's command line without any agent: usage errors exit 2, a silent target is
# no noise (exit 0, no records) unless --report-unreachable asks for an error record
# (then the run exits 3, "some targets failed", as every tool does), and targets come from arguments, @FILE or stdin.
. "$(dirname "$0")/../lib/common.sh"
need dce-discover jq

# A UDP port nothing listens on: probes there go unanswered.
port=$(free_port)
(umask 077; printf '[v3]\nkind = snmpv3\nuser = u\nauth_protocol = SHA-256\nauth_pass = authpass-123\npriv_protocol = AES\npriv_pass = privpass-123\n' >"$T/creds")
quick=(--credentials "$T/creds" --timeout 100ms --retries 0 --no-progress --port "$port")

check_status "bad target is a usage error" 2 dce-discover "${quick[@]}" 300.1.2.3
check_status "unknown option is a usage error" 2 dce-discover --no-such-option 127.0.0.1
check_status "bad --snmp-version" 2 dce-discover "${quick[@]}" --snmp-version v4 127.0.0.1
check_status "bad --timeout" 2 dce-discover "${quick[@]}" --timeout soon 127.0.0.1
# A bare number meant seconds here and milliseconds in dce-poll: refused, with the fix.
out=$(dce-discover --credentials "$T/creds" --timeout 2000 127.0.0.1 2>&1 >/dev/null)
check_eq "bare --timeout is a usage error" 2 $?
check_contains "bare --timeout names the fix" "$out" "write 2000ms or 2000s"
out=$(dce-discover "${quick[@]}" --timeout 1s 127.0.0.1 2>&1 >/dev/null)
check_eq "--timeout given twice is a usage error" 2 $?
check_contains "--timeout given twice: a clear message" "$out" "--timeout was given 2 times"
# --profile-dir takes one DIR: the target after it stays a target.
mkdir -p "$T/profiles"
dce-discover "${quick[@]}" --profile-dir "$T/profiles" 127.0.0.1 >/dev/null 2>"$T/pd.err"
check_eq "--profile-dir DIR TARGET: the target is probed" 0 $?
check_contains "--profile-dir DIR TARGET: one target" "$(cat "$T/pd.err")" "probed 1,"
# Loopback /8: over the 65,536 guard, and harmless even if the guard ever broke.
check_status "too many targets without --max-targets" 2 dce-discover "${quick[@]}" 127.0.0.0/8
check_status "missing credentials file" 2 dce-discover --credentials "$T/none" "${quick[@]:2}" 127.0.0.1
check_status "--help" 0 dce-discover --help
help=$(dce-discover --help)
check_contains "help names --allow-v1v2c" "$help" "--allow-v1v2c"
check_contains "help shows the exit codes" "$help" "130"
check_contains "summary names every transport" "$help" "SNMP, Modbus TCP, HTTP(S) and TCP 6000"
check_contains "--modbus help points at --no-snmp" "$(echo "$help" | tr -s ' \n' '  ')" \
    "Add --no-snmp for Modbus-only targets"
check_status "--no-snmp alone: nothing to probe" 2 dce-discover --no-snmp 127.0.0.1

dce-discover "${quick[@]}" 127.0.0.1 >"$T/silent.jsonl" 2>"$T/silent.err"
check_eq "silent target: exit 0" 0 $?
check_eq "silent target: no records" 0 "$(wc -c <"$T/silent.jsonl")"
check_contains "summary on stderr" "$(cat "$T/silent.err")" "probed 1, answered 0, devices 0"

printf '# two silent targets\n127.0.0.1\n127.0.0.2\n' >"$T/targets"
dce-discover "${quick[@]}" --report-unreachable "@$T/targets" >"$T/unreach.jsonl" 2>/dev/null
check_eq "report-unreachable: error records make the exit status 3" 3 $?
validate_records "$T/unreach.jsonl"
jq_eq "an error record per silent target" "$T/unreach.jsonl" '[.[] | .type + ":" + .code] | join(",")' "error:timeout,error:timeout"
jq_eq "error records name the target" "$T/unreach.jsonl" '[.[].target] | sort | join(",")' "127.0.0.1:$port,127.0.0.2:$port"

printf '127.0.0.3\n' | dce-discover "${quick[@]}" --report-unreachable >"$T/stdin.jsonl" 2>/dev/null
validate_records "$T/stdin.jsonl"
jq_eq "targets from stdin" "$T/stdin.jsonl" '.[0].target' "127.0.0.3:$port"

check_not_contains "no passphrase on stderr" "$(cat "$T/silent.err")" "authpass-123"

# --log-level debug says what happened to each target (issue 9).
dbg_port=$(free_port)
dce-discover --log-level debug --timeout 200ms --retries 0 --no-progress "127.0.0.1:$dbg_port" \
    >/dev/null 2>"$T/debug.err"
check_contains "debug names the target and what happened" "$(cat "$T/debug.err")" \
    "127.0.0.1:$dbg_port: SNMPv3 engine discovery: timeout"
check_not_contains "info level stays quiet about it" \
    "$(dce-discover --timeout 200ms --retries 0 --no-progress "127.0.0.1:$dbg_port" 2>&1 >/dev/null)" \
    "engine discovery"
finish
