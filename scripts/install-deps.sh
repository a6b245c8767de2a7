#!/usr/bin/env bash
# Installs every Debian 12 package faultline needs to build, test and run.
# Idempotent: when everything is present it prints nothing and exits 0.
# Usage: scripts/install-deps.sh [--with-browser]   (run as root)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ccache clang-14 libclang-rt-14-dev
  # libraries
  libnl-3-dev libnl-route-3-dev libssh2-1-dev
  libboost1.81-dev libboost-filesystem1.81-dev libboost-system1.81-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libssl-dev
  libnetfilter-queue-dev libmnl-dev libnfnetlink-dev libfuse3-dev libnetfilter-conntrack-dev
  libpng-dev  # the report test decodes Chromium's screenshot
  libnftables1  # partitions as one in-process nf_tables transaction (falls back to iptables-restore)
  # host tools the mechanisms and tests use
  iptables iproute2 conntrack ipset procps psmisc util-linux e2fsprogs fuse3  # ipset: to see a partition's peer set
  openssh-server openssh-client libxml2-utils libjs-chart.js
  fio sqlite3  # the data fs tests: fio latencies, a real database's durability under lose-unsynced
  python3  # the stand-in SUT of examples/suites (http.server) until the demo node
  python3-circuitbreaker python3-tenacity python3-backoff  # adapters/python's hooks and tools/recorders drive the real libraries
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
