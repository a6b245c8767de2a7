#!/usr/bin/env bash
# The nightly job for any compose project (docker/run-nightly.sh with
# arguments runs this; docs/compose.md):
#   docker/run-compose-project.sh -f compose.yaml [-f more.yaml] --suite suite.yaml
#       [--client-dir DIR] [--network NAME] [-p PROJECT] [--out DIR]
# 1. the base image if missing (docker/base-image.sh), faultline/agent:local
#    and faultline/controller:local (FAULTLINE_PREBUILT_DIRS: from a host
#    build's binaries, docker/prepare-prebuilt.sh; else compiled in docker);
# 2. a fresh agent token, exported as FAULTLINE_AGENT_TOKEN_FILE for the
#    project's agent_token secret;
# 3. the project's images (compose build), the project up (-d);
# 4. the controller in a container (--init) on the project's network, with
#    the engine's socket (node discovery and capability checks), the suite's
#    directory read-only at /suite, --client-dir on PATH, --out at /out:
#    `faultline run /suite/SUITE --out /out`;
# 5. on exit, also after a failure, Ctrl-C or `docker kill` of the
#    controller: the controller container removed, `compose down -v
#    --remove-orphans` (containers, networks, volumes; images stay).
# Exit: the controller's (0 valid, 1 invalid, 2 unknown, 254 refused, 255
# internal; Ctrl-C during the run: it heals, writes what it has and says
# unknown, 2; `docker kill` of it: 137), 3 when a step before it failed,
# 130 on Ctrl-C before it started.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
say() { echo "run-nightly: $*" >&2; }
usage() { sed -n '3,4p' "$0" | sed 's/^# *//' >&2; exit 3; }

files=() suite="" client_dir="" network="" project=${COMPOSE_PROJECT_NAME:-} out=${FAULTLINE_OUT:-$PWD/out}
while [ $# -gt 0 ]; do
  case $1 in
    -f|--file) files+=("$(realpath "$2")") || exit 3; shift 2 ;;
    --suite) suite=$(realpath "$2") || exit 3; shift 2 ;;
    --client-dir) client_dir=$(realpath "$2") || exit 3; shift 2 ;;
    --network) network=$2; shift 2 ;;
    -p|--project-name) project=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage ;;
    *) say "unknown argument '$1'"; usage ;;
  esac
done
[ ${#files[@]} -gt 0 ] && [ -n "$suite" ] || { say "need -f COMPOSE_FILE and --suite SUITE"; usage; }
for f in "${files[@]}" "$suite"; do [ -f "$f" ] || { say "$f: no such file"; exit 3; }; done
[ -z "$client_dir" ] || [ -d "$client_dir" ] || { say "--client-dir $client_dir: not a directory"; exit 3; }
if [ -z "$project" ]; then
  project=faultline-$(basename "$(dirname "${files[0]}")" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9_-')
fi
export COMPOSE_PROJECT_NAME=$project
fargs=()
for f in "${files[@]}"; do fargs+=(-f "$f"); done
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 3
controller=$project-controller
work=$(mktemp -d)
cleanup() {
  docker rm -f "$controller" >/dev/null 2>&1
  "${compose[@]}" -p "$project" "${fargs[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$repo/docker/base-image.sh" || { say "no base image"; exit 3; }
"$repo/docker/agent-token.sh" "$work/agent-token" || exit 3
export FAULTLINE_AGENT_TOKEN_FILE="$work/agent-token"
context=$repo prebuilt=""
if [ -n "${FAULTLINE_PREBUILT_DIRS:-}" ]; then
  # shellcheck disable=SC2086
  "$repo/docker/prepare-prebuilt.sh" "$work/context" $FAULTLINE_PREBUILT_DIRS || exit 3
  context=$work/context prebuilt=prebuilt
fi
start=$SECONDS
for target in agent controller; do
  docker build -f "$context/docker/Dockerfile" --target "$target" -t "faultline/$target:local" \
    --build-arg PREBUILT="$prebuilt" --build-arg BUILD_JOBS="${FAULTLINE_BUILD_JOBS:-}" \
    --build-arg BUILD_NICE="${FAULTLINE_BUILD_NICE:-0}" "$context" >"$work/build-$target.log" 2>&1 ||
    { tail -30 "$work/build-$target.log" >&2; say "building faultline/$target:local failed"; exit 3; }
done
size() { docker image inspect -f '{{.Size}}' "$1"; }
base=${BASE:-debian:bookworm-slim}
say "faultline images built in $((SECONDS - start))s; the agent adds" \
    "$(numfmt --to=iec-i --suffix=B $(( $(size faultline/agent:local) - $(size "$base") ))) to $base"
"${compose[@]}" -p "$project" "${fargs[@]}" build || { say "compose build failed"; exit 3; }
"${compose[@]}" -p "$project" "${fargs[@]}" up -d --no-build || { say "compose up failed"; exit 3; }

# The network the controller joins: the one named, or the project's only one.
nets=$(docker network ls --filter "label=com.docker.compose.project=$project" --format '{{.Name}}')
if [ -n "$network" ]; then
  net=$(echo "$nets" | grep -xE "$network|${project}_$network" | head -1)
  [ -n "$net" ] || { say "network '$network' is not one of the project's: $(echo $nets)"; exit 3; }
elif [ "$(echo "$nets" | grep -c .)" -eq 1 ]; then
  net=$nets
else
  say "the project has $(echo "$nets" | grep -c .) networks ($(echo $nets)): name the controller's with --network"
  exit 3
fi
socket=/var/run/docker.sock
case ${DOCKER_HOST:-} in unix://*) socket=${DOCKER_HOST#unix://} ;; esac
args=(--rm --init --name "$controller" --network "$net"
      -v "$socket:/var/run/docker.sock" -v "$(dirname "$suite"):/suite:ro" -v "$out:/out"
      -v "$FAULTLINE_AGENT_TOKEN_FILE:/run/secrets/agent_token:ro"
      -e COMPOSE_PROJECT_NAME="$project" -e FAULTLINE_STATE_DIR=/tmp/faultline-clusters)
if [ -n "$client_dir" ]; then
  args+=(-v "$client_dir:/opt/faultline-client:ro"
         -e PATH=/opt/faultline-client:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
fi
say "project $project up; controller $controller on network $net"
docker run "${args[@]}" "${FAULTLINE_CONTROLLER_IMAGE:-faultline/controller:local}" \
  run "/suite/$(basename "$suite")" --out /out
rc=$?
say "verdict exit code $rc; results in $out"
exit $rc
