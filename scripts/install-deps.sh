#!/usr/bin/env bash
# Installs the Debian 12 packages faultline needs. Idempotent: when
# everything is present it prints nothing and exits 0.
# Usage: scripts/install-deps.sh [--tests]   (run as root)
#   (no option)  what the main job needs: build the controller, the agent,
#                the demo node and client and the clock library, and run a
#                suite on the local provider (scripts/run-example.sh)
#   --tests      that plus what the tests, benchmarks and fuzzers need
#                (scripts/run-tests.sh)
set -euo pipefail

# ---- main job: building and running faultline ----
main_packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ccache
  # libraries
  libnl-3-dev libnl-route-3-dev libssh2-1-dev
  libboost1.81-dev libboost-filesystem1.81-dev libboost-system1.81-dev
  libfmt-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libssl-dev
  libnetfilter-queue-dev libmnl-dev libnfnetlink-dev libfuse3-dev libnetfilter-conntrack-dev
  # host tools the mechanisms and the local provider use
  iptables iproute2 procps util-linux fuse3
  libjs-chart.js  # the report's charts
)

# ---- tests, benchmarks, fuzzers (scripts/run-tests.sh) ----
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev  # libFuzzer targets (scripts/run-fuzz.sh)
  chromium libpng-dev          # the report test screenshots the page and decodes the PNG
  libxml2-utils                # xmllint: junit.xml against its schema
  openssh-server openssh-client  # the SSH provider's tests against a real sshd
  python3                      # the stand-in SUT of some example suites
  python3-circuitbreaker python3-tenacity python3-backoff  # adapters/python's hooks and tools/recorders drive the real libraries
  conntrack ipset psmisc e2fsprogs  # tests look at conntrack entries and a partition's peer set
  nftables                     # nft: tests compare the chains faultline makes with iptables-nft's
  fio sqlite3                  # the data fs tests: fio latencies, a real database's durability under lose-unsynced
  etcd-server etcd-client      # examples/etcd: etcd 3.4 as the SUT (etcd), its ready check (etcdctl)
)

packages=("${main_packages[@]}")
case ${1:-} in
  --tests) packages+=("${test_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--tests]" >&2; exit 254 ;;
esac

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
