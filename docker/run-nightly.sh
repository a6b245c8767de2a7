#!/usr/bin/env bash
# The whole nightly job in one command, for faultline's own demo cluster or
# for any compose project. Exits with the verdict (0 valid, 1 invalid,
# 2 unknown, 254 refused: bad suite or a node that cannot serve its faults;
# 3 build/infrastructure failure; 130 interrupted before the run; the
# controller's own status otherwise: a run stopped by Ctrl-C heals, writes
# what it has and says unknown, 2) and tears the project down (containers, networks,
# volumes), also on failure, Ctrl-C or a killed controller.
#
# faultline's own 5-node demo cluster (docker/compose.yaml): builds the base
# image if missing (docker/base-image.sh), the node and controller images,
# brings n1..n5 up and runs the suite (default docker/suites/nightly.yaml: a
# partition and a kill) from the controller container.
#   docker/run-nightly.sh
#   FAULTLINE_PREBUILT_DIRS="build/default" docker/run-nightly.sh
#                                 # images take a host build's binaries
# Env: FAULTLINE_OUT (results, default ./out), FAULTLINE_SUITE (path inside the
# controller image, e.g. /suites/examples/partition-heal.yaml),
# COMPOSE_PROJECT_NAME (default faultline-nightly).
#
# Your own compose project (docs/compose.md): its node services run the
# agent as entrypoint (image built on, or copying from, faultline/agent:local)
# and carry the label io.faultline.node: NAME (or the suite lists them).
#   docker/run-nightly.sh -f compose.yaml [-f override.yaml] --suite suite.yaml
#       [--client-dir DIR] [--network NAME] [-p PROJECT] [--out DIR]
# builds faultline/agent:local and faultline/controller:local, then the
# project's images, brings the project up with a fresh agent token
# (FAULTLINE_AGENT_TOKEN_FILE, the project's agent_token secret), and runs
# the controller in a container on the project's network (NAME, or its only
# network) with the engine's socket (the docker provider finds the nodes by
# their labels and checks their capabilities), the suite's directory at
# /suite and --client-dir (the suite's client programs) on its PATH. Results
# go to --out (default ./out). -p defaults to faultline-<the compose file's
# directory name>. FAULTLINE_CONTROLLER_IMAGE replaces the controller image.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
if [ $# -gt 0 ]; then exec "$repo/docker/run-compose-project.sh" "$@"; fi
cd "$repo"
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
