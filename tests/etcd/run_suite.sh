#!/usr/bin/env bash
# One etcd suite end to end, as a user runs it, then its history checked again
# by an outside reader:
#   run_suite.sh FAULTLINE_BIN SUITE.yaml EXPECTED_EXIT OUT_DIR
# 1. `faultline run SUITE --out OUT_DIR` must exit EXPECTED_EXIT (0 valid,
#    1 invalid), having run at least 60 s of schedule with partitions, kills
#    and pauses applied and healed;
# 2. `faultline export HISTORY --format edn` fed to wgl_check.py (its own EDN
#    reader and Wing & Gong search, file order only) must give the verdict
#    faultline's linearizable checker gave.
# Needs root (network namespaces) and Debian's etcd-server
# (scripts/install-deps.sh --tests). The cluster is faultline's to remove,
# also on failure; OUT_DIR keeps the run for a look afterwards.
set -euo pipefail
faultline=$1 suite=$2 expected=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces)"
command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
  fail "etcd/etcdctl not installed (scripts/install-deps.sh --tests installs etcd-server and etcd-client)"
bindir=$(dirname "$(readlink -f "$faultline")")
[ -x "$bindir/faultline-etcd-register" ] || fail "$bindir/faultline-etcd-register not built (the Go client; needs go)"

name=$(sed -n 's/^name: *//p' "$suite" | head -1)
rm -rf "${out:?}/$name"
mkdir -p "$out"
start=$(date +%s%N)
set +e
"$faultline" run "$suite" --out "$out"
rc=$?
set -e
wall=$(( ($(date +%s%N) - start) / 1000000 ))
run="$out/$name/latest"
echo "faultline run $(basename "$suite"): exit $rc in ${wall} ms (expected $expected); output in $run"
[ -f "$run/history.jsonl" ] || fail "no history in $run"

# What the run did: the faults applied, the schedule's length, the ops.
python3 - "$run" <<'EOF' || fail "the run did not do what the suite asks (above)"
import json, sys
run = sys.argv[1]
res = json.load(open(run + "/results.json"))
kinds = {}
for f in res.get("faults", []):
    kinds[f.get("kind")] = kinds.get(f.get("kind"), 0) + 1
ops = {}
first = last = None
with open(run + "/history.jsonl") as h:
    for line in h:
        e = json.loads(line)
        if e["type"] in ("invoke", "ok", "fail", "info"):
            ops[e["type"]] = ops.get(e["type"], 0) + 1
            first = e["time"] if first is None else first
            last = e["time"]
span = (last - first) / 1e9 if first is not None else 0
lin = res.get("checkers", {}).get("linearizable", {})
print("faults: %s; client lines: %s over %.1fs; linearizable: %s (%s s)"
      % (kinds, ops, span, lin.get("valid"), lin.get("check_seconds")))
missing = [k for k in ("partition", "kill", "pause") if k not in kinds]
bad = []
if missing: bad.append("no %s fault" % ", ".join(missing))
if span < 59: bad.append("client operations span %.1fs, not the 60 s schedule" % span)
if ops.get("ok", 0) < 1000: bad.append("only %d ok ops" % ops.get("ok", 0))
for f in res.get("faults", []):
    if f.get("errors"): bad.append("fault %s: %s" % (f.get("id"), f.get("errors")))
if not res.get("healed_verified"): bad.append("heal not verified")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
EOF
[ "$rc" -eq "$expected" ] || fail "faultline run exited $rc, expected $expected"

# The outside reader: EDN export, file order only.
"$faultline" export "$run/history.jsonl" --format edn --output "$run/history.edn"
faultline_valid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checkers"]["linearizable"]["valid"])' "$run/results.json")
set +e
python3 "$here/wgl_check.py" "$run/history.edn" --initial 0 --timeout 120
wgl=$?
set -e
case "$faultline_valid:$wgl" in
  True:0 | False:1) echo "independent reader agrees: linearizable=$faultline_valid" ;;
  *) fail "independent reader (exit $wgl) disagrees with faultline's linearizable checker (valid=$faultline_valid)" ;;
esac
echo "PASS"
