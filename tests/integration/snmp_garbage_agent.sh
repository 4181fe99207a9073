#!/usr/bin/env bash
# An "agent" that answers every request with garbage (random bytes, a truncated BER
# message, a message with a wrong request id) must not crash or hang dce-poll: each
# target ends as a timeout error record, within its timeout, and the run goes on.
. "$(dirname "$0")/../lib/common.sh"
need jq dce-poll
port=$(free_port)
bg_start /usr/bin/python3 - "$port" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)
n = 0
try:
    while True:
        data, peer = s.recvfrom(65535)
        n += 1
        kind = n % 4
        if kind == 0:
            reply = os.urandom(1 + n % 300)
        elif kind == 1:
            reply = data[: len(data) // 2]          # truncated BER
        elif kind == 2:
            reply = b"\x30\x82\xff\xff" + data[4:]  # length far past the end
        else:
            # well-formed v2c response with a request id nobody asked for
            reply = bytes.fromhex("302902010104067075626c6963a21c02047fffffff020100020100300e300c06082b060102010101000400")
        s.sendto(reply, peer)
except socket.timeout:
    pass
PY
sleep 0.5
(umask 077; printf '[c]\nkind = community\ncommunity = public\n' >"$T/cred")
start=$(date +%s)
dce-poll --credentials "$T/cred" --credential c --snmp-version v2c --profile apc-ups \
    --timeout 300ms --retries 1 "127.0.0.1:$port" "127.0.0.1:$port" "127.0.0.1:$port" >"$T/out.jsonl" 2>"$T/err"
check_eq "garbage answers are a failed target (exit 3)" 3 $?
end=$(date +%s)
validate_records "$T/out.jsonl"
# The same target given three times is polled once (issue 9: duplicates probed once).
jq_eq "one error record for the target given three times" "$T/out.jsonl" '[.[] | select(.type=="error") | .code] | join(",")' "timeout"
jq_eq "no reading made up from garbage" "$T/out.jsonl" '[.[] | select(.type=="reading")] | length' "0"
check_eq "finished within the timeouts (no hang)" "yes" "$([ $((end - start)) -le 10 ] && echo yes)"
finish
