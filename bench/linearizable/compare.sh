#!/usr/bin/env bash
# Side by side: faultline's linearizable checker and Porcupine v1.3.1 (Go) on
# the same history files (issue 7). Not part of the test suite; run by hand.
#
#   bench/linearizable/compare.sh [--quick] [--timeout SECONDS] [--only SUBSTRING]
#
# Builds linearizable_bench (in $BUILD_DIR, default build/default) and the Go
# program in bench/linearizable/porcupine/, has linearizable_bench write every
# history (the testdata files converted to faultline JSONL, and the generated
# ones) to a temporary folder with a manifest (file, model, initial), then
# runs each checker on each file in its own process under /usr/bin/time with
# the same timeout. "check s" is the time each program measures around its
# check alone (parsing excluded); "wall s" and "peak MiB" (max RSS) are
# /usr/bin/time's for the whole process, reading included. Verdicts:
# linearizable, illegal, unknown (timeout), out-of-memory (the process hit
# the address-space cap, MEM_CAP_MIB, default 8192, set with ulimit -v for
# both programs so that neither can take the shared machine's memory; the
# faultline checker stops itself at its 512 MiB cache bound with `unknown`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build/default}
go=$(command -v go || echo /usr/local/go/bin/go)
timeout=120
mem_cap_mib=${MEM_CAP_MIB:-8192}
quick=()
only=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=(--quick) ;;
    --timeout) timeout=$2; shift ;;
    --only) only=(--only "$2"); shift ;;
    *) echo "usage: $0 [--quick] [--timeout SECONDS] [--only SUBSTRING]" >&2; exit 254 ;;
  esac
  shift
done
work=$(mktemp -d /tmp/lin-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --build "$build" --target linearizable_bench -j2 >/dev/null
(cd "$root/bench/linearizable/porcupine" && "$go" build -o "$work/porcupine-bench" .)
"$build/bin/linearizable_bench" "${quick[@]}" "${only[@]}" --write-only --write-dir "$work/h" >/dev/null

# run NAME CMD...: prints "verdict check_s wall_s peak_mib"
run() {
  local out
  out=$( (ulimit -v $((mem_cap_mib * 1024)); exec /usr/bin/time -f '%e %M' -o "$work/time" "$@") 2>"$work/err" </dev/null || true)
  local verdict check
  verdict=$(sed -n 's/.*verdict=\([a-z]*\).*/\1/p' <<<"$out")
  if [ -z "$verdict" ] && grep -qi 'out of memory\|cannot allocate\|bad_alloc' "$work/err"; then verdict=out-of-memory; fi
  check=$(sed -n 's/.*check_seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  read -r wall kib < <(tail -1 "$work/time")
  printf '%s %s %s %.0f\n' "${verdict:-error}" "${check:--}" "$wall" "$(echo "$kib / 1024" | bc -l)"
}

printf '| history | ops | faultline verdict | check s | wall s | peak MiB | porcupine verdict | check s | wall s | peak MiB |\n'
printf '|---|---:|---|---:|---:|---:|---|---:|---:|---:|\n'
while IFS=$'\t' read -r file model initial; do
  ops=$(grep -c '"invoke"' "$work/h/$file")
  read -r fv fc fw fm < <(run "$build/bin/linearizable_bench" --check "$work/h/$file" --model "$model" --initial "$initial" --timeout "$timeout")
  read -r pv pc pw pm < <(run "$work/porcupine-bench" -model "$model" -initial "$initial" -timeout "$timeout" "$work/h/$file")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${file%.jsonl}" "$ops" "$fv" "$fc" "$fw" "$fm" "$pv" "$pc" "$pw" "$pm"
done <"$work/h/manifest.tsv"
echo
echo "timeout ${timeout}s and address space ${mem_cap_mib} MiB for both; $(nproc) cores; ops = invoked ops in the file (fail and info included)."
