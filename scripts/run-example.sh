#!/usr/bin/env bash
# The main job, as README runs it: installs what is missing (the main job's
# packages only), builds what it runs (the controller, the agent, the demo
# node and client, the clock library: target faultline-main), and runs the
# example chaos suite on the local network-namespace cluster, printing where
# its report is. Exits with the suite's verdict code. The tests, benchmarks
# and fuzzers, and their packages, come with scripts/run-tests.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache hits across checkouts in different folders (CI clones anew each run).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
[ "$(id -u)" -eq 0 ] || { echo "run-example: run as root (the local cluster uses network namespaces)" >&2; exit 1; }
source scripts/phases.sh

phase packages scripts/install-deps.sh
configure() { cmake --preset default >/dev/null; }
phase configure configure
phase build cmake --build --preset default -j"$(nproc)" --target faultline-main
# Usage: scripts/run-example.sh [SUITE [faultline run options...]]
#   e.g. scripts/run-example.sh examples/suites/combined.yaml --set cluster.subnet=198.18.7.0/24
suite=${1:-examples/suites/combined.yaml}
[ $# -gt 0 ] && shift
# A 5-node namespace cluster, the demo node under partition, kill, pause,
# clock-skew, delay and disk-fill; writes out/<suite>/<timestamp>/ (history,
# results.json, junit.xml, report.html) and exits with the verdict code.
status=0
phase suite build/default/bin/faultline run "$suite" --out out "$@" || status=$?
exit $status
