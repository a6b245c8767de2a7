#!/usr/bin/env bash
# The main job, as README runs it: installs what is missing, builds, and runs
# the example chaos suite on the local network-namespace cluster, printing
# where its report is. Exits with the suite's verdict code.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache hits across checkouts in different folders (CI clones anew each run).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
[ "$(id -u)" -eq 0 ] || { echo "run-example: run as root (the local cluster uses network namespaces)" >&2; exit 1; }
scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)"
suite=${1:-examples/suites/combined.yaml}
# A 5-node namespace cluster, the demo node under partition, kill, pause,
# clock-skew, delay and disk-fill; writes out/<suite>/<timestamp>/ (history,
# results.json, junit.xml, report.html) and exits with the verdict code.
exec build/default/bin/faultline run "$suite" --out out
