#!/usr/bin/env bash
# Side by side: faultline's linearizable checker and Porcupine (Go, the
# version pinned in bench/linearizable/porcupine/go.mod) on the same history
# files, each in its own process. Not part of the test suite; run by hand:
#
#   bench/linearizable/compare.sh [--runs N] [--timeout SECONDS] [--only SUBSTRING] [--generated [--quick]]
#
# Default: Porcupine's own test data (its module zip has test_data/): the kv
# histories c01/c10/c50 ok/bad and the 103 Jepsen etcd logs. Porcupine reads
# them with its own parsers and checks them with its own models (parseKvLog +
# kvModel, parseJepsenLog + etcdModel, from its porcupine_test.go: see
# porcupine/own/compare_test.go); faultline reads the very same files (the kv
# files are EDN, the etcd files Jepsen logs) and checks them with its kv and
# cas-register models (`linearizable_bench --check`, which is
# read_history_file + the linearizable checker, as `faultline check` runs it).
#
# --generated adds the Knossos histories (tests/data/published/knossos) and the
# generated ones of linearizable_bench, written as faultline JSONL, which
# Porcupine checks through the adapter in porcupine/main.go (Porcupine's
# checker, a JSONL reader and models with faultline's Jepsen semantics).
#
# Each program runs --runs times (default 3) on each file, alternating, and
# the table keeps the best check and wall seconds and the highest peak (the
# machine is shared: the best of a few runs is the least disturbed one).
# Columns: both verdicts (linearizable, illegal, unknown = timeout,
# out-of-memory = the process hit the address-space cap MEM_CAP_MIB, default
# 8192, set with ulimit -v for both so neither can take the shared machine's
# memory); "check s" is what each program measures around its check alone
# (parsing excluded); "wall s" and "peak MiB" (max RSS) are /usr/bin/time's
# for the whole process, reading included; "published" is the verdict the
# file's publisher gives (Porcupine's tests); "check" compares the check
# times: faster, even (within 10% on a history under 10 ms), or SLOWER.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build/default}
go=$(command -v go || echo /usr/local/go/bin/go)
timeout=120
runs=3
mem_cap_mib=${MEM_CAP_MIB:-8192}
quick=()
only=""
generated=false
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=(--quick) ;;
    --timeout) timeout=$2; shift ;;
    --runs) runs=$2; shift ;;
    --only) only=$2; shift ;;
    --generated) generated=true ;;
    *) echo "usage: $0 [--runs N] [--timeout SECONDS] [--only SUBSTRING] [--generated [--quick]]" >&2; exit 254 ;;
  esac
  shift
done
work=$(mktemp -d /tmp/lin-compare.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

cmake --build "$build" --target linearizable_bench -j2 >/dev/null
bench="$build/bin/linearizable_bench"

# Porcupine's module (pinned in go.mod) and its test binary with our test added.
porcupine_dir=$(cd "$root/bench/linearizable/porcupine" && "$go" mod download -json github.com/anishathalye/porcupine |
  sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
porcupine_version=$(basename "$porcupine_dir")
cp -r "$porcupine_dir" "$work/porcupine-src"
chmod -R u+w "$work/porcupine-src"
cp "$root/bench/linearizable/porcupine/own/compare_test.go" "$work/porcupine-src/zz_compare_test.go"
(cd "$work/porcupine-src" && GOFLAGS=-mod=mod "$go" test -tags porcupine_own -c -o "$work/porcupine.test" . >/dev/null)
data="$work/porcupine-src/test_data"

# once CMD...: prints "verdict check_s wall_s peak_mib" for one run
once() {
  local out
  out=$( (ulimit -v $((mem_cap_mib * 1024)); exec /usr/bin/time -f '%e %M' -o "$work/time" "$@") 2>"$work/err" </dev/null || true)
  local verdict check
  verdict=$(sed -n 's/.*verdict=\([a-z]*\).*/\1/p' <<<"$out" | head -1)
  if [ -z "$verdict" ] && grep -qi 'out of memory\|cannot allocate\|bad_alloc' "$work/err"; then verdict=out-of-memory; fi
  check=$(sed -n 's/.*check_seconds=\([0-9.]*\).*/\1/p' <<<"$out" | head -1)
  read -r wall kib < <(tail -1 "$work/time")
  printf '%s %s %s %.0f\n' "${verdict:-error}" "${check:--}" "$wall" "$(echo "$kib / 1024" | bc -l)"
}

# best FILE: the best of the "once" lines in FILE (verdicts joined with / when they differ)
best() {
  awk '{ v[$1] = 1; if (n == 0 || $2 + 0 < c) c = $2 + 0; if (n == 0 || $3 + 0 < w) w = $3 + 0; if ($4 + 0 > m) m = $4 + 0; n++; cs = $2 }
       END { s = ""; for (k in v) s = s (s == "" ? "" : "/") k; printf "%s %s %.2f %.0f\n", s, cs == "-" ? "-" : sprintf("%.6f", c), w, m }' "$1"
}

# pair NAME OPS PUBLISHED -- FAULTLINE CMD... -- PORCUPINE CMD...: runs both $runs times, prints a row
pair() {
  local name=$1 ops=$2 published=$3
  shift 4
  local f=() p=()
  while [ "$1" != -- ]; do f+=("$1"); shift; done
  shift
  p=("$@")
  : >"$work/f.runs"
  : >"$work/p.runs"
  for ((i = 0; i < runs; i++)); do
    once "${f[@]}" >>"$work/f.runs"
    once "${p[@]}" >>"$work/p.runs"
  done
  read -r fv fc fw fm < <(best "$work/f.runs")
  read -r pv pc pw pm < <(best "$work/p.runs")
  row "$name" "$ops" "$published" "$fv" "$fc" "$fw" "$fm" "$pv" "$pc" "$pw" "$pm"
}

# compare FV FC PV PC: faster | even | SLOWER | - (neither decided)
compare() {
  awk -v fv="$1" -v fc="$2" -v pv="$3" -v pc="$4" 'BEGIN {
    fd = fv == "linearizable" || fv == "illegal"; pd = pv == "linearizable" || pv == "illegal"
    if (!fd && !pd) { print "-"; exit }
    if (!fd) { print "SLOWER"; exit }
    if (!pd || fc + 0 <= pc + 0) { print "faster"; exit }
    if (fc + 0 < 0.010 && fc + 0 <= 1.10 * pc) { print "even"; exit }
    print "SLOWER" }'
}

header() {
  printf '| history | ops | published | faultline verdict | check s | wall s | peak MiB | porcupine verdict | check s | wall s | peak MiB | check |\n'
  printf '|---|---:|---|---|---:|---:|---:|---|---:|---:|---:|---|\n'
}
summary="$work/summary"
: >"$summary"
row() {  # name ops published fv fc fw fm pv pc pw pm
  local verdict
  verdict=$(compare "$4" "$5" "$8" "$9")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}" "$verdict"
  echo "$1 $3 $4 $5 $8 $9 $verdict" >>"$summary"
}

echo "Porcupine $porcupine_version test data, Porcupine's own parsers and models (porcupine_test.go) beside faultline on the same files"
echo
header
for f in c01-ok c01-bad c10-ok c10-bad c50-ok c50-bad; do
  [ -n "$only" ] && [[ "kv/$f" != *"$only"* ]] && continue
  published=$([[ $f == *-ok ]] && echo linearizable || echo illegal)
  ops=$(grep -c ':type :invoke' "$data/kv/$f.txt" || true)
  pair "kv/$f" "$ops" "$published" -- "$bench" --check "$data/kv/$f.txt" --model kv --initial '""' --timeout "$timeout" \
    -- env COMPARE_FILE="$data/kv/$f.txt" COMPARE_KIND=kv COMPARE_TIMEOUT="$timeout" "$work/porcupine.test" -test.run '^TestCompareFile$'
done
# The verdicts Porcupine's tests expect: checkJepsen(t, N, true|false).
grep -o 'checkJepsen(t, [0-9]*, [a-z]*)' "$work/porcupine-src/porcupine_test.go" |
  sed 's/checkJepsen(t, \([0-9]*\), \([a-z]*\))/\1 \2/' >"$work/etcd-expected"
for log in "$data"/jepsen/etcd_*.log; do
  name=jepsen/$(basename "$log" .log)
  [ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
  n=$((10#$(basename "$log" .log | tr -dc 0-9)))
  published=$(awk -v n="$n" '$1 == n { print ($2 == "true" ? "linearizable" : "illegal") }' "$work/etcd-expected")
  ops=$(grep -c ':invoke' "$log" || true)
  pair "$name" "$ops" "${published:-(none)}" -- "$bench" --check "$log" --model cas-register --initial null --timeout "$timeout" \
    -- env COMPARE_FILE="$log" COMPARE_KIND=etcd COMPARE_TIMEOUT="$timeout" "$work/porcupine.test" -test.run '^TestCompareFile$'
done

if $generated; then
  (cd "$root/bench/linearizable/porcupine" && "$go" build -o "$work/porcupine-bench" .)
  only_args=()
  [ -n "$only" ] && only_args=(--only "$only")
  "$bench" "${quick[@]}" "${only_args[@]}" --write-only --write-dir "$work/h" >/dev/null
  echo
  echo "Knossos and generated histories as faultline JSONL; Porcupine through porcupine/main.go (its checker, faultline's Jepsen semantics)"
  echo
  header
  while IFS=$'\t' read -r file model initial; do
    ops=$(grep -c '"invoke"' "$work/h/$file" || true)
    published=$(case $file in knossos_cas-register_good_*) echo linearizable ;; knossos_cas-register_bad_*) echo illegal ;; *) echo - ;; esac)
    pair "${file%.jsonl}" "$ops" "$published" -- "$bench" --check "$work/h/$file" --model "$model" --initial "$initial" --timeout "$timeout" \
      -- "$work/porcupine-bench" -model "$model" -initial "$initial" -timeout "$timeout" "$work/h/$file"
  done <"$work/h/manifest.tsv"
fi

echo
awk '
  { n++; if ($2 != "-" && $2 != "(none)" && $3 != $2) wrong++; c[$7]++
    if ($1 ~ /^jepsen/) { ef += $4; ep += $6; en++ } }
  END {
    printf "%d histories: faultline faster on %d, even on %d, SLOWER on %d, neither decided %d; faultline verdict differs from the published one on %d\n",
      n, c["faster"], c["even"], c["SLOWER"], c["-"], wrong
    if (en) printf "etcd logs (%d): check seconds summed: faultline %.4f, Porcupine %.4f\n", en, ef, ep
  }' "$summary"
echo "best of $runs runs each; timeout ${timeout}s and address space ${mem_cap_mib} MiB for both; $(nproc) cores; $(date -u +%Y-%m-%d); ops = invoked ops in the file (fail and info included)."
