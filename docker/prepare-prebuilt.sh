#!/usr/bin/env bash
# Makes a small docker build context from binaries a Debian 12 host build
# already produced, so the images need no second compile (CI and the docker
# tests use this):
#   docker/prepare-prebuilt.sh OUT_DIR BUILD_DIR [MORE_BUILD_DIRS...]
# Each of faultline, faultline-agent, faultline-demo-node, faultline-demo-client
# (DIR/bin) and libfaultline_clock.so (DIR/lib) is taken from the first build
# dir that has it. OUT_DIR then holds prebuilt/{bin,lib}, docker/ and
# examples/suites; build with
#   FAULTLINE_CONTEXT=OUT_DIR FAULTLINE_PREBUILT=prebuilt docker-compose -f docker/compose.yaml build
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR BUILD_DIR [MORE_BUILD_DIRS...]" >&2; exit 2; }
out=$1; shift
repo=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
mkdir -p "$out/prebuilt/bin" "$out/prebuilt/lib" "$out/examples" "$out/docker"
find_one() {  # sub name
  local sub=$1 name=$2; shift 2
  for dir in "${dirs[@]}"; do
    if [ -f "$dir/$sub/$name" ]; then echo "$dir/$sub/$name"; return 0; fi
  done
  echo "prepare-prebuilt: $sub/$name not found in: ${dirs[*]} (build it first)" >&2
  return 1
}
dirs=("$@")
for name in faultline faultline-agent faultline-demo-node faultline-demo-client; do
  cp "$(find_one bin "$name")" "$out/prebuilt/bin/"
done
cp "$(find_one lib libfaultline_clock.so)" "$out/prebuilt/lib/"
strip "$out"/prebuilt/bin/* "$out"/prebuilt/lib/*
cp -r "$repo/docker/Dockerfile" "$repo/docker/node-entrypoint.sh" "$repo/docker/agent-entrypoint.sh" "$repo/docker/suites" "$out/docker/"
cp -r "$repo/examples/suites" "$out/examples/"
# Empty stand-ins for the source parts the Dockerfile's builder stage copies
# (it compiles from them only without PREBUILT).
mkdir -p "$out/cmake" "$out/common" "$out/faults" "$out/checkers" "$out/agent" "$out/controller"
: >"$out/CMakeLists.txt"
du -sh "$out" | awk '{print "prepare-prebuilt: context " $1}'
