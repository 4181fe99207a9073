#!/usr/bin/env bash
# dce-poll --shard K/N: the N shards of a device list are disjoint and together cover
# it, for device records on stdin and for targets; a bad K/N is a usage error.
. "$(dirname "$0")/../lib/common.sh"
need dce-poll jq
# 300 device records naming no profile: each shard passes its own through (and skips
# polling them for want of a profile), so no network is involved.
for i in $(seq 1 300); do
    printf '{"type":"device","ts":"2026-01-01T00:00:00.000Z","id":"snmp://10.9.%d.%d:161","target":"10.9.%d.%d","port":161,"transport":"snmp"}\n' \
        $((i / 256)) $((i % 256)) $((i / 256)) $((i % 256))
done >"$T/devices.jsonl"
jq -r .id "$T/devices.jsonl" | sort >"$T/all.ids"
for n in 1 3 4; do
    : >"$T/union.ids"
    for k in $(seq 1 "$n"); do
        dce-poll --shard "$k/$n" <"$T/devices.jsonl" >"$T/s$k.jsonl" 2>"$T/s$k.err"
        check_eq "shard $k/$n exits 0" 0 $?
        jq -r 'select(.type == "device") | .id' "$T/s$k.jsonl" >>"$T/union.ids"
        [ "$n" -gt 1 ] && check_eq "shard $k/$n holds some but not all" 1 \
            "$(($(wc -l <"$T/s$k.jsonl") > 0 && $(wc -l <"$T/s$k.jsonl") < 300))"
    done
    check_eq "$n shards: no device in two" 0 "$(sort "$T/union.ids" | uniq -d | wc -l)"
    check_eq "$n shards: every device in one" "$(cat "$T/all.ids")" "$(sort "$T/union.ids")"
done

# Targets: each polled target that does not answer is an error record naming it.
port=$(free_port)
printf '[lab]\nkind = community\ncommunity = public\n' >"$T/cred"
chmod 600 "$T/cred"
: >"$T/tunion.ids"
for k in 1 2; do
    dce-poll --shard "$k/2" --credentials "$T/cred" --credential lab --snmp-version v2c \
        --timeout 300ms --retries 0 --profile mib2 $(for i in $(seq 1 20); do printf "127.0.0.%d:%s " "$i" "$port"; done) \
        >"$T/t$k.jsonl" 2>"$T/t$k.err"
    jq -r 'select(.type == "error") | .target' "$T/t$k.jsonl" >>"$T/tunion.ids"
done
check_eq "targets: no target polled by both shards" 0 "$(sort "$T/tunion.ids" | uniq -d | wc -l)"
check_eq "targets: all 20 polled once" 20 "$(sort -u "$T/tunion.ids" | wc -l)"

for bad in 0/4 5/4 4 x/y 1/0; do
    dce-poll --shard "$bad" </dev/null >/dev/null 2>"$T/bad.err"
    check_eq "--shard $bad is a usage error" 2 $?
    check_contains "--shard $bad says why" "$(cat "$T/bad.err")" "K/N"
done
finish
