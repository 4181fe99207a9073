# `cmake --install` puts binaries, man pages, completions, schemas and profiles where
# packagers and shells look for them.
. "$(dirname "$0")/../lib/common.sh"
prefix="$T/prefix"
cmake --install "$DCE_BUILD_DIR" --prefix "$prefix" > "$T/install.log" 2>&1
check_eq "cmake --install succeeds" 0 $?
for bin in "$DCE_BIN_DIR"/dce-*; do
    tool=$(basename "$bin")
    check_status "$tool installed" 0 test -x "$prefix/bin/$tool"
    check_status "$tool man page installed (gzip, as Debian wants)" 0 test -f "$prefix/share/man/man1/$tool.1.gz"
    check_status "$tool bash completion installed" 0 test -f "$prefix/share/bash-completion/completions/$tool"
    check_status "$tool zsh completion installed" 0 test -f "$prefix/share/zsh/vendor-completions/_$tool"
    check_status "$tool fish completion installed" 0 test -f "$prefix/share/fish/vendor_completions.d/$tool.fish"
done
check_status "record schemas installed" 0 test -f "$prefix/share/dce-tools/schemas/reading.schema.json"
if [ -d "$DCE_SOURCE_DIR/profiles" ] && ls "$DCE_SOURCE_DIR"/profiles/*.json > /dev/null 2>&1; then
    check_status "device profiles installed" 0 test -n "$(ls "$prefix/share/dce-tools/profiles/"*.json 2>/dev/null)"
fi
check_status "Modbus register maps installed" 0 \
    test -f "$prefix/share/dce-tools/profiles/modbus/apc-smartups-modbus.json"
check_status "trap catalogue installed" 0 test -f "$prefix/share/dce-tools/traps/PowerNet-MIB.json"
for unit in "$DCE_SOURCE_DIR"/systemd/*; do
    check_status "systemd unit $(basename "$unit") installed" 0 test -f "$prefix/lib/systemd/system/$(basename "$unit")"
done
# The man page renders without warnings.
for page in "$prefix"/share/man/man1/dce-*.1.gz; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    check_eq "$(basename "$page") renders cleanly" "" "$warnings"
done
finish
