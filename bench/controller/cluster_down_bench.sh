#!/usr/bin/env bash
# `faultline cluster up -n N` then `cluster down`, timed, for each N given
# (default 5 20 50), with a count of what is left behind afterwards
# (namespaces, veths, bridge, mounts, processes, work dir). Root; uses the
# subnet given with --subnet (default 198.18.0.0/24) and the faultline and
# faultline-agent in $BUILD_DIR/bin (default build/default).
#   bench/controller/cluster_down_bench.sh [--subnet CIDR] [N...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$root/build/default}/bin
subnet=198.18.0.0/24
if [ "${1:-}" = --subnet ]; then subnet=$2; shift 2; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(5 20 50)
export FAULTLINE_STATE_DIR=${FAULTLINE_STATE_DIR:-$(mktemp -d /tmp/cluster-down-bench.XXXXXX)}
now() { date +%s.%N; }
echo "| nodes | up s | down s | left: namespaces | veths | bridge | mounts | processes | work dir |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  id=$(printf 'bd%04x' $((RANDOM % 65536)))
  t0=$(now)
  "$bin/faultline" cluster up -n "$n" --subnet "$subnet" --name "$id" >/dev/null
  t1=$(now)
  sleep 1
  t2=$(now)
  "$bin/faultline" cluster down "$id" >/dev/null
  t3=$(now)
  printf '| %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s |\n' "$n" "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" \
    "$(ip netns list | grep -c "faultline-$id-" || true)" "$(ip -o link show | grep -c "fl${id}h" || true)" \
    "$(ip -o link show | grep -c "flb$id" || true)" "$(grep -c "/run/faultline/$id" /proc/mounts || true)" \
    "$(pgrep -f -c "run/faultline/[${id:0:1}]${id:1}/" || true)" "$(test -e "/run/faultline/$id" && echo yes || echo no)"
done
echo
echo "$(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d)"
