#!/usr/bin/env bash
# --log-format journal (issue 14): log lines go to journald's native socket as
# datagrams with MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and DCE_DEVICE. CI has no running
# journald, so a Python listener binds a socket of its own and DCE_JOURNAL_SOCKET (for
# tests) points the tools at it. Also: $JOURNAL_STREAM naming stderr chooses the journal
# by itself; no socket means stderr text after one line that says so.
. "$(dirname "$0")/../lib/common.sh"
need dce-poll python3 jq
SOCK="$T/journal.socket"
cat >"$T/listen.py" <<'EOF'
import json, socket, struct, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(30)
with open(out, "w") as f:
    while True:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            break
        fields, pos = {}, 0
        while pos < len(d):
            nl = d.index(b"\n", pos)
            line = d[pos:nl]
            if b"=" in line:
                k, v = line.split(b"=", 1)
                fields[k.decode()] = v.decode()
                pos = nl + 1
            else:  # binary form: FIELD\n, u64 LE length, data, \n
                (n,) = struct.unpack("<Q", d[nl + 1:nl + 9])
                fields[line.decode()] = d[nl + 9:nl + 9 + n].decode()
                pos = nl + 9 + n + 1
        f.write(json.dumps(fields) + "\n")
        f.flush()
EOF
bg_start python3 "$T/listen.py" "$SOCK" "$T/journal.jsonl"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || fail "the test's journal socket did not appear"
# wait_lines N: until the listener has written N datagrams.
wait_lines() { for _ in $(seq 100); do [ "$(wc -l <"$T/journal.jsonl")" -ge "$1" ] && return 0; sleep 0.05; done; return 1; }

# A device that never answers: debug lines about it, and the run's summary.
dead="127.0.0.1:$(free_port)"
printf '[t]\nkind = community\ncommunity = journal-test-secret\n' >"$T/cred" && chmod 600 "$T/cred"
DCE_JOURNAL_SOCKET="$SOCK" dce-poll --log-format journal --log-level debug --credentials "$T/cred" \
    --credential t --snmp-version v2c --profile mib2 --timeout 300ms --retries 0 "$dead" \
    >"$T/out.jsonl" 2>"$T/err"
check_eq "journal: nothing on stderr" "" "$(cat "$T/err")"
wait_lines 2
jq_eq "journal: every line names the tool" "$T/journal.jsonl" 'map(.SYSLOG_IDENTIFIER) | unique | join(",")' dce-poll
jq_eq "journal: a debug line about the device carries DCE_DEVICE" "$T/journal.jsonl" \
    "map(select(.DCE_DEVICE == \"snmp://$dead\" and .PRIORITY == \"7\")) | length > 0" true
jq_eq "journal: the summary is info (6), with no device" "$T/journal.jsonl" \
    'map(select(.MESSAGE | test("device\\(s\\), "))) | .[0] | [.PRIORITY, has("DCE_DEVICE")] | tostring' '["6",false]'
check_not_contains "journal: no secret" "$(cat "$T/journal.jsonl")" "journal-test-secret"

# $JOURNAL_STREAM naming stderr: the journal without being asked.
before=$(wc -l <"$T/journal.jsonl")
: >"$T/stream-err"
DCE_JOURNAL_SOCKET="$SOCK" JOURNAL_STREAM="$(stat -c '%d:%i' "$T/stream-err")" \
    dce-poll --profile nosuchprofile 127.0.0.1 >/dev/null 2>>"$T/stream-err"
check_eq "JOURNAL_STREAM: nothing written to stderr" "" "$(cat "$T/stream-err")"
wait_lines $((before + 1))
check_contains "JOURNAL_STREAM: the error went to the journal" "$(tail -n +$((before + 1)) "$T/journal.jsonl")" '"PRIORITY": "3"'
# ...but not when it names something else (a test's redirect, a pipe).
DCE_JOURNAL_SOCKET="$SOCK" JOURNAL_STREAM="1:1" dce-poll --profile nosuchprofile 127.0.0.1 \
    >/dev/null 2>"$T/other-err"
check_contains "JOURNAL_STREAM elsewhere: stderr as text" "$(cat "$T/other-err")" "dce-poll: error:"

# No journal socket: a note, then text on stderr.
DCE_JOURNAL_SOCKET="$T/none.socket" dce-poll --log-format journal --profile nosuchprofile 127.0.0.1 \
    >/dev/null 2>"$T/nosock-err"
check_contains "no socket: says so" "$(cat "$T/nosock-err")" "no journal at $T/none.socket"
check_contains "no socket: logs on stderr" "$(cat "$T/nosock-err")" "dce-poll: error:"
finish
