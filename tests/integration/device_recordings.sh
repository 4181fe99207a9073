#!/usr/bin/env bash
# The main job on walks of real devices: ../shared/device-recordings (21 walks of APC,
# Eaton, Vertiv, Raritan, CyberPower, Dell units and, beside each, the sensors an
# established monitoring system reads from it). Its score.py serves each walk with
# snmpsim on loopback, runs `dce-discover | dce-poll` against it and counts the reference
# sensors we report with the same value. Fails below 0.90 overall or on the APC walks
# (issue 8; BENCHMARKS.md has the current figures, at or above 0.95).
. "$(dirname "$0")/../lib/common.sh"
rec_dir=${DCE_DEVICE_RECORDINGS:-$DCE_SOURCE_DIR/../shared/device-recordings}
[ -f "$rec_dir/score.py" ] || skip "no device recordings at $rec_dir (the shared folder beside the checkout)"
need snmpsimd python3 dce-discover dce-poll

python3 "$rec_dir/score.py" \
    'dce-discover --credentials {credfile} --snmp-version v2c --port {port} {host} | dce-poll --credentials {credfile}' \
    >"$T/score.txt" 2>"$T/score.err"
check_eq "score.py exits 0" 0 $?
cat "$T/score.txt" >&2
last=$(tail -n1 "$T/score.txt")
share=${last##*share=}
check_contains "score.py printed its totals" "$last" "recordings=21"
check_eq "overall share at least 0.90 ($share)" 1 "$(awk -v s="$share" 'BEGIN { print (s >= 0.90) ? 1 : 0 }')"
# APC's own units (apc-*, apc_*): per-recording lines read "NAME PROFILE HITS/TOTAL".
apc=$(awk '$1 ~ /^apc[-_]/ { split($NF, f, "/"); h += f[1]; n += f[2] } END { if (n) printf "%.3f", h / n; else print 0 }' "$T/score.txt")
check_eq "APC share at least 0.90 ($apc)" 1 "$(awk -v s="$apc" 'BEGIN { print (s >= 0.90) ? 1 : 0 }')"
# No real device falls back to the MIB-II profile.
check_eq "no walk left on mib2" "" "$(awk '$1 !~ /^(class|recordings=)/ && $2 == "mib2" { print $1 }' "$T/score.txt")"
finish
