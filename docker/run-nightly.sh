#!/usr/bin/env bash
# The whole nightly job in one command: builds the base image if missing
# (docker/base-image.sh), builds the node and controller images, brings the
# 5-node compose cluster up, runs the suite (default docker/suites/nightly.yaml:
# a partition and a kill), exits with its verdict (0 valid, 1 invalid,
# 2 unknown, other: infrastructure failure) and tears the cluster down
# (containers, network, volumes), also on failure or Ctrl-C.
#
#   docker/run-nightly.sh                      # images compile faultline from source
#   FAULTLINE_PREBUILT_DIRS="build/default" docker/run-nightly.sh
#                                              # images take a host build's binaries
# Env: FAULTLINE_OUT (results, default ./out), FAULTLINE_SUITE (path inside the
# controller image, e.g. /suites/examples/partition-heal.yaml),
# COMPOSE_PROJECT_NAME (default faultline-nightly).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-faultline-nightly}
export FAULTLINE_OUT=${FAULTLINE_OUT:-$repo/out}
mkdir -p "$FAULTLINE_OUT"
FAULTLINE_OUT=$(cd "$FAULTLINE_OUT" && pwd)
work=$(mktemp -d)
cleanup() {
  "${compose[@]}" -f docker/compose.yaml down -v --remove-orphans --timeout 5 >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

docker/base-image.sh || { echo "run-nightly: no base image" >&2; exit 3; }
# A fresh agent token for this run (the compose secret); never docker/agent-token.
docker/agent-token.sh "$work/agent-token" || exit 3
export FAULTLINE_AGENT_TOKEN_FILE="$work/agent-token"
if [ -n "${FAULTLINE_PREBUILT_DIRS:-}" ]; then
  # shellcheck disable=SC2086
  docker/prepare-prebuilt.sh "$work/context" $FAULTLINE_PREBUILT_DIRS || exit 3
  export FAULTLINE_CONTEXT="$work/context" FAULTLINE_PREBUILT=prebuilt
fi
start=$(date +%s)
# n2..n5 use n1's image (faultline/node:local); building it once is enough.
"${compose[@]}" -f docker/compose.yaml build n1 controller || { echo "run-nightly: image build failed" >&2; exit 3; }
echo "run-nightly: images built in $(( $(date +%s) - start ))s;" \
     "node image $(docker image inspect -f '{{.Size}}' faultline/node:local | numfmt --to=iec-i --suffix=B)," \
     "controller image $(docker image inspect -f '{{.Size}}' faultline/controller:local | numfmt --to=iec-i --suffix=B)"
"${compose[@]}" -f docker/compose.yaml up --no-build --exit-code-from controller
rc=$?
echo "run-nightly: verdict exit code $rc; results in $FAULTLINE_OUT"
exit $rc
