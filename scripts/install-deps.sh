#!/usr/bin/env bash
# Installs everything the build, the tests, the lab and the benchmarks need, from
# Debian 12's packages. Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ make pkg-config clang libclang-rt-14-dev
  libcli11-dev libboost-dev libboost-system-dev libssl-dev openssl libsnmp-dev
  libmodbus-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev libfmt-dev catch2 libpq-dev libsimdjson-dev
  libre2-dev
  # real components the tests start on loopback
  snmp snmpd snmptrapd snmpsim sqlite3 postgresql nginx
  python3 python3-pymodbus python3-serial python3-serial-asyncio python3-jsonschema python3-requests
  # peers for the benchmarks, and test utilities
  onesixtyone prometheus-snmp-exporter sslscan testssl.sh mbpoll jq hyperfine bc libxml2-utils
  # wrk: the HTTPS load generator of bench/api.sh (keep-alive connections, bearer header, --latency)
  wrk
  ca-certificates util-linux procps iproute2 curl
  # dce-audit: nftables for its firewall test in network namespaces, nmap as its benchmark peer
  nftables nmap
  # dce-audit's SSH and FTP checks run against real sshd and vsftpd on loopback ports
  openssh-server vsftpd
  # systemd-socket-activate and systemd-analyze: the dce-trapd units are tested with them;
  # systemd-creds: encrypted credentials files are made and decrypted in a test
  systemd
  # promtool (`promtool check metrics`) validates --metrics-file output
  prometheus
  # scripts/package.sh: dpkg-shlibdeps and dpkg-parsechangelog (dpkg-dev), and lintian
  dpkg-dev lintian
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}" >&2
# Debian's policy-rc.d keeps the daemons (snmpd, postgresql, nginx) from starting here;
# the tests start their own copies on loopback.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
