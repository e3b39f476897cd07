#!/usr/bin/env bash
# Runs a real program plainly and under LD_PRELOAD=liboffheap.so, and fails
# unless both succeed with the same stdout and the library really served the
# preloaded run (its exit report, OFFHEAP_MALLOC_STATS, shows the allocations).
# Usage: test_programs.sh sqlite3|python3|node <liboffheap.so> <work dir>
set -uo pipefail
prog=$1 lib=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "FAIL ($prog): $*" >&2; exit 1; }

[ -f "$lib" ] || fail "$lib is not built (target offheap_malloc)"
case $prog in
  sqlite3)
    bin=/usr/bin/sqlite3
    [ -x $bin ] || fail "$bin is missing: install Debian's sqlite3 (apt-get install sqlite3)"
    cmd=("$bin" -batch :memory:) input=$here/workloads/sqlite.sql min_allocs=100000 min_procs=1 ;;
  python3)
    bin=/usr/bin/python3 # the system one, not a pyenv shim
    [ -x $bin ] || fail "$bin is missing: install Debian's python3 (apt-get install python3)"
    cmd=("$bin" "$here/workloads/churn.py") input=/dev/null min_allocs=100000 min_procs=2 ;;
  node)
    bin=$(command -v node) || fail "node is not on PATH"
    cmd=("$bin" "$here/workloads/churn.js") input=/dev/null min_allocs=100000 min_procs=1 ;;
  *) fail "unknown program" ;;
esac

rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
export PYTHONHASHSEED=0

# run NAME [VAR=value...]: stdout to NAME.out, stderr to NAME.err, milliseconds to NAME.ms
run() {
  local name=$1; shift
  local t0=$(date +%s%N)
  env -u LD_PRELOAD "$@" "${cmd[@]}" <"$input" >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  echo $(( ($(date +%s%N) - t0) / 1000000 )) >"$work/$name.ms"
  if [ $rc -ne 0 ]; then
    echo "--- $name stderr:" >&2; tail -20 "$work/$name.err" >&2
    fail "$name run exited with $rc"
  fi
}

# compare NAME: NAME.out equals the plain run's, and NAME.stats proves the library served it
compare() {
  local name=$1
  if ! cmp -s "$work/plain.out" "$work/$name.out"; then
    diff "$work/plain.out" "$work/$name.out" | head -20 >&2
    fail "$name output differs from the plain run"
  fi
  grep -q 'ERROR: ld.so' "$work/$name.err" && fail "$name: $(grep 'ERROR: ld.so' "$work/$name.err")"
  [ -s "$work/$name.stats" ] || fail "$name: no exit report from liboffheap.so: the library was not in use"
  local procs max
  procs=$(grep -c '^offheap-malloc pid=' "$work/$name.stats")
  max=$(sed -n 's/.* alloc_count=\([0-9]*\) .*/\1/p' "$work/$name.stats" | sort -n | tail -1)
  [ "$procs" -ge "$min_procs" ] || fail "$name: $procs processes used liboffheap.so, expected >= $min_procs"
  [ "${max:-0}" -ge "$min_allocs" ] || fail "$name: only ${max:-0} allocations served by liboffheap.so"
  grep -v -q ' invalid_frees=0$' "$work/$name.stats" && fail "$name: refused frees: $(cat "$work/$name.stats")"
  echo "$name: same output as plain; $procs process(es) on liboffheap.so, max alloc_count $max;" \
       "$(cat "$work/plain.ms") ms plain, $(cat "$work/$name.ms") ms preloaded"
}

run plain
[ "$(tail -1 "$work/plain.out")" = "done" ] || fail "the plain run did not finish its workload"
run preload LD_PRELOAD="$lib" OFFHEAP_MALLOC_STATS="$work/preload.stats"
compare preload
if [ "$prog" = python3 ]; then
  # every object through malloc, not only pymalloc's arenas and large objects
  run pymalloc_off LD_PRELOAD="$lib" OFFHEAP_MALLOC_STATS="$work/pymalloc_off.stats" PYTHONMALLOC=malloc
  compare pymalloc_off
fi
echo "PASS ($prog)"
