#!/usr/bin/env bash
# dce-trapd in operation: systemd socket activation (the .socket/.service units verify),
# IPv6, SIGHUP reloading credentials without dropping the socket, flood control
# (--dedup folds, --rate-limit counts), malformed datagrams counted, and the loss
# accounting under an unpaced burst into a tiny queue behind a stdout nobody reads yet:
# delivered + dropped (queue and kernel) + malformed = sent, whatever the timing.
. "$(dirname "$0")/../lib/common.sh"
need snmptrap jq dce-trapd systemd-socket-activate python3
export SNMP_PERSISTENT_DIR="$T/net-snmp" MIBS="" MIBDIRS=/dev/null
cred="$T/credentials"
write_cred() {
    (umask 077; printf '[v2c]\nkind = community\ncommunity = ops-community\n' >"$cred"
     [ "${1:-}" = "erin" ] && printf '\n[erin]\nkind = snmpv3\nuser = erin\nauth_protocol = SHA-512\nauth_pass = erin-auth-pass\npriv_protocol = AES-192\npriv_pass = erin-priv-pass\n' >>"$cred")
}
write_cred
wait_log() { for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
APC="1.3.6.1.4.1.318.0.5"

# --- socket activation: systemd binds, dce-trapd receives on the fd it is passed.
port=$(free_port)
bg_start systemd-socket-activate --datagram -l "127.0.0.1:$port" \
    dce-trapd --credentials "$cred" --state-dir "$T/state" --count 1 --stats-interval 0 \
    >"$T/act.jsonl" 2>"$T/act.err"
act=${_dce_pids[-1]}
wait_log "$T/act.err" "Listening on" || true
sleep 0.2
snmptrap -v2c -c ops-community "127.0.0.1:$port" '' $APC
for _ in $(seq 50); do [ -s "$T/act.jsonl" ] && grep -q '"final":true' "$T/act.jsonl" && break; sleep 0.1; done
wait "$act"
jq_eq "socket activation: the trap arrived on systemd's socket" "$T/act.jsonl" \
    '[.[] | select(.type=="event")] | .[0] | [.name, .listen] | join(" ")' "upsOnBattery 127.0.0.1:$port"
check_contains "no bind of its own under activation" "$(cat "$T/act.err")" "listening on 127.0.0.1:$port"

if command -v systemd-analyze >/dev/null; then
    # The shipped units, pointed at this build, pass systemd's own checks.
    mkdir -p "$T/units"
    sed "s#/usr/bin/#$DCE_BIN_DIR/#g" "$DCE_SOURCE_DIR/systemd/dce-trapd.service" >"$T/units/dce-trapd.service"
    cp "$DCE_SOURCE_DIR/systemd/dce-trapd.socket" "$T/units/"
    out=$(cd "$T/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
        ./dce-trapd.socket ./dce-trapd.service 2>&1)
    check_not_contains "systemd-analyze verify: no unit errors" "$out" "dce-trapd.s"
fi

# --- IPv6 and reload on one long-running receiver.
p6=$(free_port)
bg_start dce-trapd --listen "[::1]:$p6" --listen "127.0.0.1:$p6" --credentials "$cred" \
    --state-dir "$T/state" --stats-interval 0 >"$T/live.jsonl" 2>"$T/live.err"
live=${_dce_pids[-1]}
wait_log "$T/live.err" "listening on" || fail "no listening line"
snmptrap -v2c -c ops-community "udp6:[::1]:$p6" '' $APC
erin() { snmptrap -v3 -e 0x80001f8880ee01 -u erin -l authPriv -a SHA-512 -A erin-auth-pass \
    -x AES-192 -X erin-priv-pass "127.0.0.1:$p6" '' 1.3.6.1.6.3.1.1.5.2; }
erin   # unknown until the reload
write_cred erin
kill -HUP "$live"
wait_log "$T/live.err" "reloaded" || fail "no reload line"
erin   # known now, on the same socket
python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for m in (b"", b"\x30\x82\xff\xff", b"GET / HTTP/1.0\r\n\r\n"): s.sendto(m, ("127.0.0.1", int(sys.argv[1])))' "$p6"
snmptrap -v2c -c ops-community "127.0.0.1:$p6" '' 1.3.6.1.6.3.1.1.5.1   # still delivered after them
kill -TERM "$live"; wait "$live"
jq_eq "IPv6 sender seen as such" "$T/live.jsonl" \
    '[.[] | select(.type=="event" and .name=="upsOnBattery")] | .[0].source' "::1"
jq_eq "after SIGHUP the new user is accepted (SHA-512/AES-192)" "$T/live.jsonl" \
    '[.[] | select(.type=="event" and .snmp.user=="erin")] | .[0] | [.name, .snmp.credential] | join(" ")' "warmStart erin"
jq_eq "before SIGHUP it was an unknown user" "$T/live.jsonl" \
    '[.[] | select(.type=="stats")] | .[0].rejected.unknown_user' "1"
jq_eq "three malformed datagrams counted, the trap after them delivered" "$T/live.jsonl" \
    '[([.[] | select(.type=="stats")] | .[0].malformed), ([.[] | select(.name=="coldStart")] | length)] | map(tostring) | join(" ")' "3 1"

# --- flood control: --dedup folds identical traps; --rate-limit counts the excess.
pf=$(free_port)
bg_start dce-trapd --listen "127.0.0.1:$pf" --credentials "$cred" --state-dir "$T/state" \
    --stats-interval 0 --dedup 1h >"$T/dedup.jsonl" 2>"$T/dedup.err"
dd=${_dce_pids[-1]}
wait_log "$T/dedup.err" "listening on"
for i in 1 2 3 4 5; do snmptrap -v2c -c ops-community "127.0.0.1:$pf" '' $APC 1.3.6.1.4.1.318.2.3.3.0 s same; done
snmptrap -v2c -c ops-community "127.0.0.1:$pf" '' $APC 1.3.6.1.4.1.318.2.3.3.0 s different
kill -TERM "$dd"; wait "$dd"
jq_eq "dedup: first of each kind at once, then one event with the count" "$T/dedup.jsonl" \
    '[.[] | select(.type=="event") | [.varbinds[0].value, (.count // 1)]] | map(map(tostring) | join(":")) | join(",")' \
    "same:1,different:1,same:4"
jq_eq "dedup counted" "$T/dedup.jsonl" '[.[] | select(.type=="stats")] | .[0].deduplicated' "4"

pr=$(free_port)
bg_start dce-trapd --listen "127.0.0.1:$pr" --credentials "$cred" --state-dir "$T/state" \
    --stats-interval 0 --rate-limit 0.001 >"$T/rate.jsonl" 2>"$T/rate.err"
rl=${_dce_pids[-1]}
wait_log "$T/rate.err" "listening on"
for i in 1 2 3 4; do snmptrap -v2c -c ops-community "127.0.0.1:$pr" '' $APC; done
kill -TERM "$rl"; wait "$rl"
jq_eq "rate limit: one event, three counted" "$T/rate.jsonl" \
    '[([.[] | select(.type=="event")] | length), ([.[] | select(.type=="stats")] | .[0].rate_limited)] | map(tostring) | join(" ")' "1 3"

# --- --allow-engine-id: the user is known, but only this engine may use it.
pa=$(free_port)
bg_start dce-trapd --listen "127.0.0.1:$pa" --credentials "$cred" --state-dir "$T/state" \
    --stats-interval 0 --allow-engine-id 0x80001f8880ee01 >"$T/allow.jsonl" 2>"$T/allow.err"
al=${_dce_pids[-1]}
wait_log "$T/allow.err" "listening on"
for e in 0x80001f8880ee01 0x80001f8880ee02; do
    snmptrap -v3 -e $e -u erin -l authPriv -a SHA-512 -A erin-auth-pass -x AES-192 \
        -X erin-priv-pass "127.0.0.1:$pa" '' 1.3.6.1.6.3.1.1.5.2
done
kill -TERM "$al"; wait "$al"
jq_eq "allow-list: the listed engine delivered, the other counted" "$T/allow.jsonl" \
    '[([.[] | select(.type=="event") | .snmp.engine_id] | join(",")), ([.[] | select(.type=="stats")] | .[0].rejected.engine_id_not_allowed)] | map(tostring) | join(" ")' \
    "80001f8880ee01 1"

# --- a live pipe into the store: dce-trapd | dce-store ingest, then query events.
pp=$(free_port)
(dce-trapd --listen "127.0.0.1:$pp" --credentials "$cred" --state-dir "$T/state" --count 2 \
    --stats-interval 0 2>"$T/pipe-trapd.err" | dce-store ingest --db "$T/pipe.db" 2>"$T/pipe-ingest.err") &
pipe_pid=$!
wait_log "$T/pipe-trapd.err" "listening on"
snmptrap -v2c -c ops-community "127.0.0.1:$pp" '' $APC 1.3.6.1.4.1.318.2.3.3.0 s "piped one"
snmptrap -v2c -c ops-community "127.0.0.1:$pp" '' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.3 i 3
wait "$pipe_pid"
check_eq "dce-trapd | dce-store ingest: both end cleanly" 0 $?
dce-store query events --db "$T/pipe.db" >"$T/pipe-events.jsonl" 2>/dev/null
jq_eq "the piped events are in the store" "$T/pipe-events.jsonl" \
    '[.[] | .name] | sort | join(",")' "linkUp,upsOnBattery"

# --- loss accounting: a burst into a 4 KiB queue and a 64 KiB socket buffer while the
# reader of stdout is stopped. Some datagrams are dropped; every one is counted.
pb=$(free_port)
mkfifo "$T/out.fifo"
exec 7<>"$T/out.fifo"         # a read-write open does not wait for the other end
bg_start dce-trapd --listen "127.0.0.1:$pb" --credentials "$cred" --state-dir "$T/state" \
    --stats-interval 0 --queue 4K --rcvbuf 64K --any-community >"$T/out.fifo" 2>"$T/burst.err"
bd=${_dce_pids[-1]}
exec 8<"$T/out.fifo"          # the reader, open but not reading yet
exec 7>&-
wait_log "$T/burst.err" "listening on"
sent=$(python3 "$DCE_SOURCE_DIR/tests/lib/trap_burst.py" 127.0.0.1 "$pb" ops-community 20000 0)
kill -TERM "$bd"
cat <&8 >"$T/burst.jsonl"
exec 8<&-
wait "$bd"
check_eq "burst receiver exits 130 after draining" 130 $?
st=$(jq -c 'select(.type=="stats" and .final)' "$T/burst.jsonl")
delivered=$(jq -r '.delivered' <<<"$st")
events=$(grep -c '"type":"event"' "$T/burst.jsonl")
check_eq "stats delivered = event lines" "$events" "$delivered"
accounted=$(jq -r '.delivered + .dropped_queue + .dropped_kernel + .malformed' <<<"$st")
check_eq "delivered + dropped + malformed = sent" "$sent" "$accounted"
check_eq "received + dropped_kernel = sent" "$sent" "$(jq -r '.received + .dropped_kernel' <<<"$st")"
echo "burst: sent $sent, $(jq -c '{delivered, dropped_queue, dropped_kernel, malformed}' <<<"$st")" >&2
finish
