#!/usr/bin/env bash
# dce-poll against the lab Modbus UPS's injected faults (tests/lib/modbus_ups.py --fault):
#   exception 2 on a range -> error record modbus-exception-2 for the fields there,
#                             readings for the rest (the planner splits around it)
#   a reply later than --timeout -> an error, then correct readings (the transaction ids
#                             are resynchronised, telegraf #14317 / nut #139)
#   the connection closed after every reply -> reconnect, every reading
#   a stray reply with a wrong transaction id -> not taken as data: values stay right
# No timings are asserted: the delay is 3 s against a 1 s timeout, and waits are long.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-poll jq
lab_init "$T/lab"
poll() {  # poll NAME OUT [dce-poll options]: polls unit 1 of the UPS started as NAME
    local name=$1 out=$2; shift 2
    dce-poll --profile apc-smartups-modbus "$@" "modbus://127.0.0.1:${PORTS[$name]}/1" \
        >"$T/$out.jsonl" 2>"$T/$out.err"
}
declare -A PORTS
up() {  # up NAME UPS-ARGS...
    local name=$1; shift
    start_modbus_ups --name "$name" "$@" || { fail "$name: the UPS did not start"; finish; }
    PORTS[$name]=$MODBUS_PORT
}
metrics() {  # metrics FILE: "metric=value" of every reading, sorted, one line
    jq -rs '[.[] | select(.type == "reading") | "\(.metric)=\(.value)"] | sort | join(" ")' "$1"
}
val() {  # val FILE METRIC: every value of that metric, space-separated
    jq -rs --arg m "$2" '[.[] | select(.type == "reading" and .metric == $m) | .value | tostring] | join(" ")' "$1"
}
errors() { jq -rs '[.[] | select(.type == "error") | .code] | unique | join(" ")' "$1"; }

up clean
poll clean clean --timeout 3s
check_eq "clean: exit status" 0 "$?"
want=$(metrics "$T/clean.jsonl")
check_eq "clean: the output current is among the readings" 5.1875 "$(val "$T/clean.jsonl" ups.output.current)"
n_want=$(jq -s '[.[] | select(.type == "reading")] | length' "$T/clean.jsonl")

# ---- exception 2 on register 140 (output current) ----------------------------------------
up exc --fault exception:140-140:2
poll exc exc --timeout 3s --retries 1
check_eq "exception 2: exit status (an error record)" 3 "$?"
validate_records "$T/exc.jsonl"
check_eq "exception 2: the error code" modbus-exception-2 "$(errors "$T/exc.jsonl")"
check_contains "exception 2: the message names it" \
    "$(jq -r 'select(.type == "error") | .message' "$T/exc.jsonl" | head -1)" "illegal data address"
check_eq "exception 2: the error's target is the device" "modbus://127.0.0.1:${PORTS[exc]}/1" \
    "$(jq -r 'select(.type == "error") | .target' "$T/exc.jsonl" | sort -u)"
check_eq "exception 2: no output current" "" "$(val "$T/exc.jsonl" ups.output.current)"
check_eq "exception 2: every other reading (the request was split around 140)" \
    "$(jq -rs '[.[] | select(.type == "reading" and .metric != "ups.output.current") | "\(.metric)=\(.value)"] | sort | join(" ")' "$T/clean.jsonl")" \
    "$(metrics "$T/exc.jsonl")"

# ---- a reply later than --timeout, once: an error, then recovery --------------------------
up delay --fault delay:3:1
poll delay delay --timeout 1s --retries 0 --interval 1 --rounds 8
validate_records "$T/delay.jsonl"
check_eq "delay: an error record for the late reply" true \
    "$(jq -s 'any(.[]; .type == "error")' "$T/delay.jsonl")"
check_eq "delay: correct readings after the error" true \
    "$(jq -s '([.[] | select(.type == "error") | .ts] | min) as $e
              | any(.[]; .type == "reading" and .metric == "ups.battery.charge" and .ts > $e and .value == 100)' \
        "$T/delay.jsonl")"
# A late reply taken for another request would put a wrong word under some metric.
for m in ups.battery.charge ups.battery.runtime ups.output.voltage ups.output.frequency; do
    check_eq "delay: every $m reading is right" "$(val "$T/clean.jsonl" "$m")" \
        "$(val "$T/delay.jsonl" "$m" | tr ' ' '\n' | sort -u | paste -sd' ')"
done
check_eq "delay: the last round is complete" "$want" \
    "$(jq -rs --argjson n "$n_want" '[.[] | select(.type == "reading")] | .[-$n:]
               | map("\(.metric)=\(.value)") | sort | join(" ")' "$T/delay.jsonl")"

# ---- the connection closed after every reply: reconnect and complete ------------------------
up drop --fault drop-after:1
poll drop drop --timeout 3s --retries 2
check_eq "drop-after: exit status" 0 "$?"
validate_records "$T/drop.jsonl"
check_eq "drop-after: every reading" "$want" "$(metrics "$T/drop.jsonl")"
check_eq "drop-after: no errors" "" "$(errors "$T/drop.jsonl")"
stats=$(modbus_ups_stats drop)
check_eq "drop-after: it did reconnect" true \
    "$(echo "$stats" | awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "connections") print ($i > 1 ? "true" : "false (" $0 ")")}')"

# ---- the 2nd request answered first by a stray reply with another transaction id ----------
up tid --fault wrong-tid:2
poll tid tid --timeout 3s --retries 2 --interval 1 --rounds 2
validate_records "$T/tid.jsonl"
check_eq "wrong tid: no errors" "" "$(errors "$T/tid.jsonl")"
check_eq "wrong tid: two rounds, every reading in each" "$((2 * n_want))" \
    "$(jq -s '[.[] | select(.type == "reading")] | length' "$T/tid.jsonl")"
for m in ups.battery.charge ups.battery.runtime ups.battery.voltage ups.output.voltage ups.input.voltage; do
    check_eq "wrong tid: $m right in both rounds" "$(val "$T/clean.jsonl" "$m") $(val "$T/clean.jsonl" "$m")" \
        "$(val "$T/tid.jsonl" "$m")"
done
check_eq "wrong tid: there was a 2nd request to answer wrongly" true \
    "$(modbus_ups_stats tid | awk '{print ($1 >= 2 ? "true" : "false: " $0)}')"
finish
