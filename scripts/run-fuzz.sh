#!/usr/bin/env bash
# Builds the libFuzzer targets with the `fuzz` preset (clang-14) and runs
# each for a bounded time (FUZZ_SECONDS, default 60; FUZZ_BUILD_DIR, default
# build/fuzz). Exits non-zero if a
# target crashes, leaks or fails to build. Crash inputs are kept in
# build/fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build/fuzz}

# Every fuzz target is a fuzz_*.cpp in a fuzz/ folder.
mapfile -t sources < <(find . -path ./build -prune -o -path '*/fuzz/fuzz_*.cpp' -print | sort)
if [ ${#sources[@]} -eq 0 ]; then echo "run-fuzz: no fuzz targets"; exit 0; fi
targets=()
for s in "${sources[@]}"; do targets+=("$(basename "$s" .cpp)"); done

cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

status=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  dict="${sources[$i]%.cpp}.dict"
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t/"
  mkdir -p "$corpus" "$artifacts"
  args=(-max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
        -artifact_prefix="$artifacts")
  [ -f "$dict" ] && args+=(-dict="$dict")
  echo "run-fuzz: $t for ${seconds}s"
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build/bin/$t" "${args[@]}" "$corpus" > "$build/$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^Done" "$build/$t.log" || true
    echo "run-fuzz: $t ok"
  else
    tail -40 "$build/$t.log"
    echo "run-fuzz: $t FAILED (crash input in $artifacts)"
    status=1
  fi
done
rm -rf /dev/shm/faultline-fuzz-agent-* 2>/dev/null || true
exit $status
