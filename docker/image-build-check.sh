#!/usr/bin/env bash
# Shows that the images build from a clean docker state, that a second build
# is served from the layer cache (same image IDs), and the image sizes:
#
#   docker/image-build-check.sh [BUILD_DIR...]
#
# With BUILD_DIRs the images take those host builds' binaries
# (docker/prepare-prebuilt.sh), as CI and the docker tests do; without, the
# builder stage compiles faultline inside docker (long on a small machine).
#  1. the base image (docker/base-image.sh; an input, kept as it is);
#  2. removes only our images: every image labelled io.faultline.stage (the
#     final images and the legacy builder's intermediate images, i.e. its
#     cache) and the faultline/{node,controller}:local tags; it refuses when a
#     container still uses one of them. Nobody else's images or cache go;
#  3. build 1 (with compose v2 also --no-cache, so BuildKit's own cache,
#     which cannot be removed selectively, is not used either);
#  4. build 2 of the same inputs: every step must come from the cache
#     ("Using cache" / "CACHED" lines are counted) and the image IDs must be
#     those of build 1;
#  5. prints each build's time, the node and controller image sizes, and
#     what the agent image (faultline/agent:local, the base users' own
#     images build on or copy /opt/faultline from) adds to the base image:
#     at most 60 MiB, else the check fails.
# Exit 0 when all of that holds, 1 when it does not, 3 on a setup failure.
# Uses COMPOSE_PROJECT_NAME (default faultline-imagecheck); starts no container.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-faultline-imagecheck}
images=(faultline/node:local faultline/controller:local faultline/agent:local)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "image-build-check: $*"; }

docker/base-image.sh || { say "no base image"; exit 3; }
# compose wants the secret's file to exist even to build; the images never hold it.
docker/agent-token.sh "$work/agent-token"
export FAULTLINE_AGENT_TOKEN_FILE="$work/agent-token"
context=$repo
if [ $# -gt 0 ]; then
  docker/prepare-prebuilt.sh "$work/context" "$@" || exit 3
  export FAULTLINE_CONTEXT="$work/context" FAULTLINE_PREBUILT=prebuilt
  context=$work/context
  say "binaries from $*"
else
  say "binaries compiled in the builder stage"
fi

# 2. A clean state for our images only.
for image in "${images[@]}"; do
  users=$(docker ps -aq --filter "ancestor=$image" 2>/dev/null)
  if [ -n "$users" ]; then
    say "containers still use $image ($(echo $users)); remove them first (compose down)"
    exit 3
  fi
done
docker image rm "${images[@]}" >/dev/null 2>&1
# Leaves first: removing an image also removes its untagged parents.
for _ in 1 2 3 4 5 6 7 8; do
  ours=$(docker images -aq --filter label=io.faultline.stage | sort -u)
  [ -z "$ours" ] && break
  # shellcheck disable=SC2086
  docker image rm -f $ours >/dev/null 2>&1
done
left=$(docker images -aq --filter label=io.faultline.stage | wc -l)
say "clean state: $left image(s) labelled io.faultline.stage left, base $(docker image inspect -f '{{.Id}}' "${BASE:-debian:bookworm-slim}" | cut -c1-19)"
[ "$left" -eq 0 ] || { say "could not remove our old images"; exit 3; }

build() {  # log-file clean|cached; prints the seconds it took
  local log=$1 mode=$2 start=$SECONDS rc=0
  : >"$log"
  if [ "$mode" = cached ]; then
    "${compose[@]}" -f docker/compose.yaml build n1 controller >>"$log" 2>&1 || rc=$?
  elif [ "${compose[0]} ${compose[1]:-}" = "docker compose" ]; then
    # Compose v2 builds both in one BuildKit session (shared stages once);
    # --no-cache also keeps BuildKit's own cache, which step 2 cannot
    # remove selectively, out of it.
    "${compose[@]}" -f docker/compose.yaml build --no-cache n1 controller >>"$log" 2>&1 || rc=$?
  else
    # Compose v1, legacy builder: its cache is the images removed above. One
    # service at a time, so the controller reuses the stages n1 built instead
    # of making a second runtime-libs chain that build 2 might pick instead.
    "${compose[@]}" -f docker/compose.yaml build n1 >>"$log" 2>&1 &&
      "${compose[@]}" -f docker/compose.yaml build controller >>"$log" 2>&1 || rc=$?
  fi
  # The agent stage (users' images build on it) shares the builder stage with the node's build.
  local nocache=()
  [ "$mode" = clean ] && [ "${compose[0]} ${compose[1]:-}" = "docker compose" ] && nocache=(--no-cache)
  [ $rc -eq 0 ] && { docker build "${nocache[@]}" -f "$context/docker/Dockerfile" --target agent -t faultline/agent:local \
    --build-arg PREBUILT="${FAULTLINE_PREBUILT:-}" --build-arg BUILD_JOBS="${FAULTLINE_BUILD_JOBS:-}" \
    --build-arg BUILD_NICE="${FAULTLINE_BUILD_NICE:-0}" "$context" >>"$log" 2>&1 || rc=$?; }
  echo $((SECONDS - start))
  return $rc
}
ids() { for image in "${images[@]}"; do docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || echo missing; done; }
hits() { grep -cE -- '---> Using cache|CACHED' "$1"; }

t1=$(build "$work/build1.log" clean) || { tail -40 "$work/build1.log"; say "build 1 (clean) failed"; exit 1; }
ids1=$(ids)
say "build 1 (clean state): ${t1}s ($(hits "$work/build1.log") steps from the cache: the controller's reuse of the stages n1's build made)"
t2=$(build "$work/build2.log" cached) || { tail -40 "$work/build2.log"; say "build 2 failed"; exit 1; }
ids2=$(ids)
rebuilt=$(grep -c -- '---> Running in' "$work/build2.log")
say "build 2 (same inputs): ${t2}s, $(hits "$work/build2.log") steps from the cache"
status=0
if [ "$ids1" = "$ids2" ]; then
  say "image IDs identical: $(echo "$ids2" | cut -c1-19 | tr '\n' ' ')"
else
  say "image IDs differ: build 1 $(echo "$ids1" | cut -c1-19 | tr '\n' ' ') build 2 $(echo "$ids2" | cut -c1-19 | tr '\n' ' ')"
  status=1
fi
if [ "$(hits "$work/build2.log")" -eq 0 ]; then
  say "build 2 reports no cache use:"; tail -20 "$work/build2.log"; status=1
fi
size() { docker image inspect -f '{{.Size}}' "$1" | numfmt --to=iec-i --suffix=B; }
say "node image $(size faultline/node:local), controller image $(size faultline/controller:local)"
base_bytes=$(docker image inspect -f '{{.Size}}' "${BASE:-debian:bookworm-slim}")
agent_adds=$(( $(docker image inspect -f '{{.Size}}' faultline/agent:local) - base_bytes ))
say "agent image adds $(numfmt --to=iec-i --suffix=B "$agent_adds") to ${BASE:-debian:bookworm-slim} (limit 60MiB)"
if [ "$agent_adds" -gt $((60 * 1024 * 1024)) ]; then say "the agent image adds more than 60MiB"; status=1; fi
[ "$status" -eq 0 ] && say "ok" || say "FAILED (${rebuilt} step(s) ran again)"
exit $status
