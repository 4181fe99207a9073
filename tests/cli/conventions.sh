# The conventions every tool keeps (docs/DESIGN.md), checked on every built dce-* tool:
# -h/--help and -V/--version exit 0 on stdout; a bad option exits 2 with a hint on
# stderr and nothing on stdout; --log-level/--log-format are accepted; JSON logs are
# JSON lines on stderr; the exit-code table is in --help.
. "$(dirname "$0")/../lib/common.sh"
need jq
tools=$(ls "$DCE_BIN_DIR"/dce-* 2>/dev/null)
[ -n "$tools" ] || { fail "no tools built in $DCE_BIN_DIR"; finish; }
for bin in $tools; do
    tool=$(basename "$bin")
    out=$("$bin" --help 2>/dev/null); check_eq "$tool --help exits 0" 0 $?
    check_contains "$tool --help shows usage" "$out" "Usage: $tool"
    check_contains "$tool --help shows the exit-code table" "$out" "130  Interrupted"
    out=$("$bin" -h 2>/dev/null); check_eq "$tool -h exits 0" 0 $?
    out=$("$bin" --version 2>/dev/null); check_eq "$tool --version exits 0" 0 $?
    check_contains "$tool --version names itself" "$out" "$tool 0."
    out=$("$bin" -V 2>/dev/null); check_contains "$tool -V" "$out" "(dce-tools)"
    "$bin" --no-such-option > "$T/out" 2> "$T/err"
    check_eq "$tool bad option exits 2" 2 $?
    check_eq "$tool bad option writes nothing on stdout" "" "$(cat "$T/out")"
    check_contains "$tool bad option hint" "$(cat "$T/err")" "Try '$tool --help'"
    "$bin" --log-level trace --log-format json --help > /dev/null 2>&1
    check_eq "$tool accepts --log-level/--log-format" 0 $?
    "$bin" --log-format yaml --help > /dev/null 2>&1
    check_eq "$tool refuses an unknown log format" 2 $?
done

# JSON logs: every stderr line is a JSON object with ts/level/tool/msg.
uv="$DCE_BIN_DIR/dce-upgrade-verify"
if [ -x "$uv" ]; then
    echo data > "$T/f"
    "$uv" --log-format json --sha256 "$(sha256sum "$T/f" | cut -d' ' -f1)" "$T/f" > /dev/null 2> "$T/log"
    check_eq "json log lines parse" "$(wc -l < "$T/log" | tr -d ' ')" "$(jq -c 'select(.ts and .level and .tool and .msg)' "$T/log" | wc -l | tr -d ' ')"
    check_contains "json log names the tool" "$(cat "$T/log")" '"tool":"dce-upgrade-verify"'
    "$uv" --log-level off --sha256 "$(sha256sum "$T/f" | cut -d' ' -f1)" "$T/f" > /dev/null 2> "$T/log"
    check_eq "--log-level off silences stderr" "" "$(cat "$T/log")"
fi
finish
