# bench/poll.sh reads /usr/bin/time's figures; when dce-poll exits non-zero GNU time
# writes "Command exited with non-zero status N" before them (issue 9), which the
# benchmark read as its figures. Both shapes of the file must give the same numbers.
. "$(dirname "$0")/../lib/common.sh"

printf 'DCE_TIME 1.25 0.50 41234\n' >"$T/ok.time"
printf 'Command exited with non-zero status 3\nDCE_TIME 1.25 0.50 41234\n' >"$T/failed.time"
printf 'Command terminated by signal 9\nDCE_TIME 0.10 0.02 999\n' >"$T/killed.time"
check_eq "normal run" "1.25 0.50 41234" "$(bash "$DCE_SOURCE_DIR/bench/poll.sh" --time-fields "$T/ok.time")"
check_eq "non-zero exit" "1.25 0.50 41234" "$(bash "$DCE_SOURCE_DIR/bench/poll.sh" --time-fields "$T/failed.time")"
check_eq "killed" "0.10 0.02 999" "$(bash "$DCE_SOURCE_DIR/bench/poll.sh" --time-fields "$T/killed.time")"

# And against the real /usr/bin/time with a command that fails.
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f 'DCE_TIME %U %S %M' -o "$T/real.time" bash -c 'exit 3' 2>/dev/null
    got=$(bash "$DCE_SOURCE_DIR/bench/poll.sh" --time-fields "$T/real.time")
    check_eq "real /usr/bin/time, exit 3: three numbers" "yes" \
        "$(echo "$got" | grep -qE '^[0-9.]+ [0-9.]+ [0-9]+$' && echo yes)"
    check_contains "GNU time did write its failure line first" "$(head -1 "$T/real.time")" "non-zero status 3"
fi
finish
