#!/usr/bin/env bash
# The whole test suite, as README and CI run it: installs what is missing
# (the main job's packages and the tests' own: install-deps.sh --tests),
# builds everything (programs, tests, benchmarks), runs every test (unit,
# integration, end-to-end; docker where an engine runs), then the unit tests
# again under AddressSanitizer + UBSan and the fuzz targets for a bounded
# time. Exits non-zero if anything fails; prints each phase's time at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache hits across checkouts in different folders (CI clones anew each run).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
[ "$(id -u)" -eq 0 ] || { echo "run-tests: run as root (tests create network namespaces and iptables rules)" >&2; exit 1; }
jobs=$(nproc)
source scripts/phases.sh
phase packages scripts/install-deps.sh --tests

status=0
step() { echo; echo "==== $* ===="; }

step "build (RelWithDebInfo)"
build() {
  cmake --preset default -DFAULTLINE_TESTS=ON >/dev/null
  cmake --build --preset default -j"$jobs"
}
phase build build

step "unit tests"
phase unit ctest --preset default -L unit -j"$jobs" --output-on-failure || status=1

step "integration and end-to-end tests (root, network namespaces; serial)"
# Timing-sensitive tests on a small shared box get one retry; a test that
# fails twice fails the run.
phase integration ctest --preset default -LE unit -j1 --output-on-failure --repeat until-pass:2 || status=1
# A skipped test says why (no docker engine, no sch_netem, ...), visibly.
awk '/^\[ RUN      \]/ {name=$4} /: Skipped$/ {getline why; print "skipped: " name ": " why}' \
  build/default/Testing/Temporary/LastTest.log 2>/dev/null | sort -u || true

step "unit tests under AddressSanitizer + UBSan"
asan() {
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j"$jobs" --output-on-failure
}
phase asan asan || status=1

if [ -x scripts/run-fuzz.sh ]; then
  step "fuzz targets (bounded)"
  phase fuzz scripts/run-fuzz.sh || status=1
fi

echo
if [ $status -eq 0 ]; then echo "run-tests: all passed"; else echo "run-tests: FAILURES above"; fi
exit $status
