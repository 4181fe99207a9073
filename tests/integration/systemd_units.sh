#!/usr/bin/env bash
# The shipped systemd units (systemd/): every one passes `systemd-analyze verify`, every
# service is hardened to an exposure of 2.0 or below ("OK") by `systemd-analyze security
# --offline=true` (no running systemd needed; the scores are in docs/OPERATIONS.md), runs
# as the system user dce with the issue's settings, and loads the encrypted credentials
# file the tools read from $CREDENTIALS_DIRECTORY/dce-credentials.
. "$(dirname "$0")/../lib/common.sh"
need systemd-analyze
units_src="$DCE_SOURCE_DIR/systemd"

# The units, pointed at this build's binaries (verify checks that ExecStart= exists).
# Templates are verified as one instance.
mkdir -p "$T/units"
for f in "$units_src"/*; do
    name=$(basename "$f")
    sed "s#/usr/bin/#$DCE_BIN_DIR/#g" "$f" >"$T/units/${name/@./@racks.}"
done
cd "$T/units"

out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./* 2>&1)
check_eq "systemd-analyze verify: every unit is clean" "" "$out"

services=(dce-poll@.service dce-trapd.service dce-audit.service dce-store-serve.service)
for s in "${services[@]}"; do
    check_eq "$s is shipped" yes "$([ -f "$units_src/$s" ] && echo yes)"
done
check_eq "every service in systemd/ is listed here" "${#services[@]}" \
    "$(ls "$units_src"/*.service | wc -l)"

for s in "${services[@]}"; do
    f=./${s/@./@racks.}
    # --threshold=20: exit status non-zero above an exposure of 2.0.
    report=$(systemd-analyze security --offline=true --threshold=20 "$f" 2>&1)
    rc=$?
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' <<<"$report")
    echo "$s: exposure $score" >&2
    check_eq "$s: systemd-analyze security passes --threshold=20" 0 "$rc"
    check_eq "$s: exposure $score is 2.0 or below" yes \
        "$(awk -v s="$score" 'BEGIN { print (s != "" && s <= 2.0) ? "yes" : "no" }')"
    for setting in User=dce Group=dce NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
        ProtectHome=yes 'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
        'LoadCredentialEncrypted=dce-credentials:/etc/dce/credentials.cred' \
        'Environment=DCE_DB=%S/dce/dce.db'; do
        check_eq "$s has $setting" 1 "$(grep -cxF "$setting" "$units_src/$s")"
    done
    check_eq "$s: StateDirectory=dce" 1 "$(grep -cE '^StateDirectory=dce( |$)' "$units_src/$s")"
    check_not_contains "$s: no DynamicUser (the units share the store as dce)" \
        "$(cat "$units_src/$s")" "DynamicUser"
    check_contains "$s: logs to the journal" "$(grep '^ExecStart=' "$units_src/$s")" "--log-format journal"
done

# The long-running and periodic pollers write their counters under the state directory.
for s in dce-poll@.service dce-trapd.service; do
    check_contains "$s: --metrics-file under %S/dce/metrics" \
        "$(grep '^ExecStart=' "$units_src/$s")" "--metrics-file %S/dce/metrics/"
    check_eq "$s: the metrics directory is a StateDirectory" 1 \
        "$(grep -cx 'StateDirectory=dce dce/metrics' "$units_src/$s")"
done

# Timers: each names a schedule and is enabled through timers.target.
for t in dce-poll@.timer dce-audit.timer; do
    check_eq "$t has OnCalendar=" 1 "$(grep -c '^OnCalendar=' "$units_src/$t")"
    check_eq "$t: WantedBy=timers.target" 1 "$(grep -cx 'WantedBy=timers.target' "$units_src/$t")"
done
check_eq "dce-poll@.timer: every 5 minutes by default" 1 "$(grep -cx 'OnCalendar=\*:0/5' "$units_src/dce-poll@.timer")"
# The instance's device list is the template's input.
check_contains "dce-poll@.service reads /etc/dce/devices/%i.jsonl" \
    "$(grep '^ExecStart=' "$units_src/dce-poll@.service")" "/etc/dce/devices/%i.jsonl"
# systemd binds 162; dce-trapd gets the socket and needs no capability.
check_contains "dce-trapd.socket binds UDP 162" "$(cat "$units_src/dce-trapd.socket")" "ListenDatagram=0.0.0.0:162"
finish
