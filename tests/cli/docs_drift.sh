# Man pages, completions and schemas are generated from the option definitions; a
# committed file that differs from what the generator makes now is drift. The second
# half proves the check bites: a copy of the tree with one edited man page must fail.
. "$(dirname "$0")/../lib/common.sh"

# The generator's status is kept before check_eq runs: testing $? after check_eq tested
# check_eq itself, so the diff was never shown when the docs drifted.
out=$(/usr/bin/python3 "$DCE_SOURCE_DIR/scripts/gen-docs.py" --bin-dir "$DCE_BIN_DIR" --check 2>&1)
gen_rc=$?
check_eq "committed docs match the code" 0 "$gen_rc"
[ "$gen_rc" -eq 0 ] || echo "$out" | head -40 >&2

# Drift must be caught: change one generated file in a copy and check again.
mkdir -p "$T/src"
cp -r "$DCE_SOURCE_DIR/man" "$DCE_SOURCE_DIR/completions" "$DCE_SOURCE_DIR/schemas" "$T/src/"
some_man=$(ls "$T/src/man/"*.1 | head -1)
sed -i 's/Print this help and exit/Print some help/' "$some_man"
check_status "edited man page is reported as drift" 1 \
    /usr/bin/python3 "$DCE_SOURCE_DIR/scripts/gen-docs.py" --bin-dir "$DCE_BIN_DIR" --source-dir "$T/src" --check >/dev/null 2>&1
cp "$DCE_SOURCE_DIR"/man/*.1 "$T/src/man/"
some_fish=$(ls "$T/src/completions/fish/"*.fish | head -1)
echo "complete -c x -l stale" >> "$some_fish"
check_status "edited fish completion is reported as drift" 1 \
    /usr/bin/python3 "$DCE_SOURCE_DIR/scripts/gen-docs.py" --bin-dir "$DCE_BIN_DIR" --source-dir "$T/src" --check >/dev/null 2>&1

# --help and the man page must name the same options, tool by tool.
for bin in "$DCE_BIN_DIR"/dce-*; do
    tool=$(basename "$bin")
    help=$("$bin" --help 2>&1)
    man=$(cat "$DCE_SOURCE_DIR/man/$tool.1")
    for opt in $(echo "$help" | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
        check_contains "$tool man page lists $opt from --help" "$man" "$(echo "$opt" | sed 's/-/\\-/g')"
    done
    check_contains "$tool bash completion offers --log-level" "$(cat "$DCE_SOURCE_DIR/completions/bash/$tool")" "--log-level"
done
finish
