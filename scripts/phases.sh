# Sourced by the run-*.sh scripts: `phase NAME CMD...` runs CMD and records
# how long it took; the table of every phase is printed when the script
# exits (whatever the outcome), e.g.
#   phases: packages 0:41  configure 0:03  build 3:12  suite 0:38  total 4:34
phase_names=()
phase_seconds=()
phase_start_all=$(date +%s.%N)

phase() {
  local name=$1 start rc=0
  shift
  start=$(date +%s.%N)
  "$@" || rc=$?
  phase_names+=("$name")
  phase_seconds+=("$(echo "$(date +%s.%N) - $start" | bc)")
  return $rc
}

phase_report() {
  local rc=$? out="" i
  mmss() { awk -v s="$1" 'BEGIN { printf "%d:%04.1f", int(s / 60), s - 60 * int(s / 60) }'; }
  for i in "${!phase_names[@]}"; do out+="${phase_names[$i]} $(mmss "${phase_seconds[$i]}")  "; done
  echo
  echo "phases: ${out}total $(mmss "$(echo "$(date +%s.%N) - $phase_start_all" | bc)")"
  return $rc
}
trap phase_report EXIT
