#!/usr/bin/env bash
# package.sh [BUILD_DIR] [cmake -D options...]: a Release build of the tools (no tests)
# in its own directory (default build-pkg), installed under /usr, packed by CPack's DEB
# generator into BUILD_DIR/dce-tools_VERSION_amd64.deb, then checked with lintian (any
# error fails), with BUILD_DIR/SHA256SUMS to publish beside it. Prints the .deb's path
# on stdout. Runs again incrementally.
#
# Compiler and linker flags are Debian's (dpkg-buildflags: hardening, fortify, relro,
# bindnow); dependencies come from dpkg-shlibdeps over the linked libraries.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$src/build-pkg}
shift || true
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

if [ ! -f "$dir/build.ninja" ]; then
    export DEB_BUILD_MAINT_OPTIONS=hardening=+all
    # CMake reads CFLAGS/CXXFLAGS/LDFLAGS at its first configure; it has no CPPFLAGS.
    cppflags=$(dpkg-buildflags --get CPPFLAGS)
    export CFLAGS="$(dpkg-buildflags --get CFLAGS) $cppflags"
    export CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $cppflags"
    export LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
    cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDCE_BUILD_TESTS=OFF \
        -DCMAKE_INSTALL_PREFIX=/usr -DDCE_SYSTEMD_UNIT_DIR=/lib/systemd/system "$@" >/dev/null
fi
cmake --build "$dir" -j "$(nproc)" >&2

# The changelog's newest entry names the version the package gets.
version=$(sed -n 's/^project(dce-tools VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb_version=$(dpkg-parsechangelog -l "$src/packaging/changelog" -S Version)
case "$deb_version" in
    "$version"-*) ;;
    *) echo "package.sh: packaging/changelog's newest entry is $deb_version, the project is $version:" \
            "add a changelog entry" >&2; exit 1 ;;
esac

deb="$dir/dce-tools_${deb_version}_$(dpkg --print-architecture).deb"
rm -f "$deb"
(cd "$dir" && cpack -G DEB -D CPACK_DEBIAN_PACKAGE_RELEASE="${deb_version#"$version"-}" >&2)
[ -f "$deb" ] || { echo "package.sh: cpack made no $deb" >&2; exit 1; }

# lintian: errors fail; warnings and the rest are shown.
if lintian --info --display-level '>=pedantic' --fail-on error "$deb" >&2; then
    :
else
    echo "package.sh: lintian reports errors for $deb" >&2
    exit 1
fi
# The checksum list to publish with it: dce-upgrade-verify --check SHA256SUMS FILE.deb
(cd "$dir" && sha256sum "$(basename "$deb")" >SHA256SUMS)
echo "$deb"
