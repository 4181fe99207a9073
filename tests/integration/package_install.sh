#!/usr/bin/env bash
# The Debian package, as an operator gets it: scripts/package.sh makes it (a Release
# build in build-pkg; scripts/test.sh makes it before ctest, so here it is only brought
# up to date), lintian finds no error in it, it carries every file the tools need, and
# installed onto this machine (CI is a throwaway container; the test removes it again)
# its postinst creates the system user dce and the installed tools, reading the
# installed profiles, run discover | poll | store against the lab.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dpkg-deb dpkg-shlibdeps lintian apt-get jq snmpsimd systemd-analyze objdump ldd
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || skip "installing a package needs root or sudo without a password"
    SUDO="sudo -n"
fi
if dpkg-query -W -f='${Status}' dce-tools 2>/dev/null | grep -q "ok installed"; then
    skip "dce-tools is installed on this machine already; this test installs and removes its own"
fi

# --- the package
deb=$(bash "$DCE_SOURCE_DIR/scripts/package.sh" "${DCE_PACKAGE_DIR:-$DCE_SOURCE_DIR/build-pkg}" 2>"$T/package.log")
check_eq "scripts/package.sh succeeds" 0 $?
[ -f "$deb" ] || { cat "$T/package.log" >&2; fail "no package"; finish; }
version=$(sed -n 's/^project(dce-tools VERSION \([0-9.]*\).*/\1/p' "$DCE_SOURCE_DIR/CMakeLists.txt")
check_contains "named dce-tools_VERSION_amd64.deb" "$(basename "$deb")" "dce-tools_${version}-"
check_contains "named dce-tools_VERSION_amd64.deb" "$(basename "$deb")" "_amd64.deb"

lintian --fail-on error "$deb" >"$T/lintian.txt" 2>&1
check_eq "lintian: no errors" 0 $?
check_eq "lintian: no E: lines" "" "$(grep '^E:' "$T/lintian.txt")"
[ -s "$T/lintian.txt" ] && { echo "lintian says:" >&2; cat "$T/lintian.txt" >&2; }

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends" >&2
# From dpkg-shlibdeps over the binaries: every package owning a library a packaged
# binary links directly (its NEEDED entries, resolved by ldd) is in Depends.
dpkg-deb -x "$deb" "$T/x"
for b in "$T"/x/usr/bin/dce-*; do
    ldd "$b" | awk -v needed=" $(objdump -p "$b" | awk '$1 == "NEEDED" {printf "%s ", $2}')" \
        'index(needed, " " $1 " ") && $3 ~ /^\// {print $3}'
done | sort -u |
    while read -r lib; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"; done |
    cut -d: -f1 | sort -u >"$T/linked-packages"
check_eq "the binaries link libraries of several packages" yes \
    "$([ "$(wc -l <"$T/linked-packages")" -ge 5 ] && echo yes)"
while read -r p; do
    check_contains "Depends names $p, whose library is linked (dpkg-shlibdeps)" "$depends" "$p"
done <"$T/linked-packages"
for p in libsnmp40 libsqlite3-0 libssl3; do
    check_contains "Depends names $p" "$depends" "$p"
done
check_contains "Depends: systemd (the postinst runs systemd-sysusers)" "$depends" "systemd"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$T/contents"
has() { check_eq "package has $1" 1 "$(grep -cxF "$1" "$T/contents")"; }
for tool in "$DCE_SOURCE_DIR"/tools/dce-*/main.cpp; do
    t=$(basename "$(dirname "$tool")")
    has "/usr/bin/$t"
    has "/usr/share/man/man1/$t.1.gz"
    has "/usr/share/bash-completion/completions/$t"
    has "/usr/share/zsh/vendor-completions/_$t"
    has "/usr/share/fish/vendor_completions.d/$t.fish"
done
# Every profile, trap catalogue file and unit of the source tree, subfolders included.
(cd "$DCE_SOURCE_DIR" && find profiles traps -type f) | while read -r f; do
    grep -qxF "/usr/share/dce-tools/$f" "$T/contents" || echo "$f"
done >"$T/missing"
check_eq "every profile and trap catalogue file is packaged" "" "$(cat "$T/missing")"
for u in "$DCE_SOURCE_DIR"/systemd/*; do has "/lib/systemd/system/$(basename "$u")"; done
for f in copyright changelog.Debian.gz examples/credentials.example examples/devices.jsonl examples/audit.json; do
    has "/usr/share/doc/dce-tools/$f"
done
has /usr/lib/sysusers.d/dce-tools.conf

# --- installed onto this machine, removed at exit
remove_package() {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -qq dce-tools \
        >"$T/purge.log" 2>&1 || cat "$T/purge.log" >&2
}
trap 'remove_package; _dce_cleanup' EXIT
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "$deb" >"$T/install.log" 2>&1
rc=$?
check_eq "apt-get installs the package" 0 "$rc"
[ "$rc" -eq 0 ] || { cat "$T/install.log" >&2; finish; }
check_eq "dpkg: installed" "install ok installed" "$(dpkg-query -W -f='${Status}' dce-tools)"

# The postinst made the system user the units run as.
pw=$(getent passwd dce)
check_eq "postinst created the user dce" yes "$([ -n "$pw" ] && echo yes)"
IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
check_eq "dce is a system user (uid below 1000)" yes "$([ "${uid:-1000}" -lt 1000 ] && echo yes)"
check_eq "dce's home is the units' state directory" /var/lib/dce "$home"
check_contains "dce has no login shell" "$shell" nologin
check_eq "group dce exists" yes "$(getent group dce >/dev/null && echo yes)"

# The installed units pass systemd's checks with the installed binaries.
out=$(cd /lib/systemd/system && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
    dce-trapd.socket dce-trapd.service dce-audit.service dce-audit.timer dce-store-serve.service 2>&1)
check_eq "installed units verify" "" "$out"

# The upgrade check docs/OPERATIONS.md gives: the installed dce-upgrade-verify against the
# SHA256SUMS package.sh wrote beside the .deb; a changed copy is refused.
(cd "$(dirname "$deb")" && env -i PATH=/usr/bin:/bin HOME="$T" /usr/bin/dce-upgrade-verify \
    --check SHA256SUMS "$(basename "$deb")" >"$T/verify.jsonl" 2>"$T/verify.err")
check_eq "dce-upgrade-verify --check SHA256SUMS the .deb: exit 0" 0 $?
mkdir -p "$T/tampered"
cp "$deb" "$T/tampered/" && cp "$(dirname "$deb")/SHA256SUMS" "$T/tampered/"
printf 'x' >>"$T/tampered/$(basename "$deb")"
(cd "$T/tampered" && env -i PATH=/usr/bin:/bin HOME="$T" /usr/bin/dce-upgrade-verify \
    --check SHA256SUMS "$(basename "$deb")" >/dev/null 2>&1)
check_eq "a changed .deb fails the check: exit 1" 1 $?

# --- the installed tools, with nothing from this checkout: /usr/bin, the installed
# profiles, an empty HOME (no ~/.config/dce), no DCE_* variables.
mkdir -p "$T/home"
run() { env -i PATH=/usr/bin:/bin HOME="$T/home" "$@"; }
check_eq "dce-discover --version" "dce-discover $version (dce-tools)" "$(run /usr/bin/dce-discover --version)"

lab_init "$T/lab"
start_snmpsim apc-smartups || skip "snmpsimd did not start"
run DCE_CREDENTIALS="$LAB_CREDENTIALS" /usr/bin/dce-discover --port "$SNMPSIM_PORT" --timeout 2s \
    --no-progress "${LAB_ADDR[apc-smartups]}" 2>"$T/discover.err" |
    run DCE_CREDENTIALS="$LAB_CREDENTIALS" /usr/bin/dce-poll 2>"$T/poll.err" |
    run /usr/bin/dce-store ingest --db "$T/store.db" 2>"$T/ingest.err"
check_eq "installed discover | poll | store ingest: all exit 0" "0 0 0" "${PIPESTATUS[*]}"
run /usr/bin/dce-store query devices --db "$T/store.db" >"$T/devices.jsonl" 2>>"$T/ingest.err"
jq_eq "the UPS is in the store, with its profile" "$T/devices.jsonl" \
    '[.[] | select(.type=="device") | .profile] | join(",")' apc-ups
run /usr/bin/dce-store query readings --db "$T/store.db" --metric ups.battery.charge --last >"$T/readings.jsonl"
jq_eq "its battery charge was polled and stored" "$T/readings.jsonl" '[.[] | .value | tostring] | unique | join(",")' 100

# Which profiles did it read? The installed ones: take apc-ups away from
# /usr/share/dce-tools/profiles (this checkout still has it) and the installed
# dce-poll no longer knows it; put it back.
run /usr/bin/dce-poll --list-profiles >"$T/profiles-before.jsonl" 2>/dev/null
jq_eq "installed dce-poll lists apc-ups" "$T/profiles-before.jsonl" '[.[] | select(.name=="apc-ups")] | length' 1
$SUDO mv /usr/share/dce-tools/profiles/apc-ups.json "$T/apc-ups.json.aside"
run /usr/bin/dce-poll --list-profiles >"$T/profiles-after.jsonl" 2>/dev/null
$SUDO mv "$T/apc-ups.json.aside" /usr/share/dce-tools/profiles/apc-ups.json
jq_eq "without the installed apc-ups.json it is gone: the installed profiles are the ones read" \
    "$T/profiles-after.jsonl" '[.[] | select(.name=="apc-ups")] | length' 0

# --- removal: purge takes the files away (the user and /var/lib/dce stay, as in Debian).
remove_package
trap '_dce_cleanup' EXIT
check_eq "purged" "" "$(dpkg-query -W -f='${Status}' dce-tools 2>/dev/null | grep 'ok installed')"
check_eq "no /usr/bin/dce-discover after purge" no "$([ -e /usr/bin/dce-discover ] && echo yes || echo no)"
finish
