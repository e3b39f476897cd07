#!/usr/bin/env bash
# Builds the C core and its tests three ways and runs them with ctest:
# optimised (full workloads), ASan+UBSan and TSan (smaller workloads).
# ASan cannot see inside our pools; the tests' shadow model is what checks
# memory there, the sanitizers check everything around it.
# Usage: scripts/test-native.sh [release|asan|tsan]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

build_and_test() {
  local name=$1; shift
  local dir=build-native/$name
  echo "== C core: $name build"
  cmake -S . -B "$dir" -DOFFHEAP_BUILD_TESTS=ON "$@" >/dev/null
  cmake --build "$dir" -j2 --target test_api test_stress test_fuzz test_swap test_threads test_overflow test_reclaim test_reclaim_stress test_mapped offheap_malloc test_shim >/dev/null
  ctest --test-dir "$dir" --output-on-failure
}

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

for build in "${@:-release asan tsan}"; do
  for b in $build; do
    case $b in
      release) build_and_test release -DCMAKE_BUILD_TYPE=Release ;;
      asan) build_and_test asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOFFHEAP_SANITIZE=address -DOFFHEAP_TEST_SCALE=25 ;;
      tsan) build_and_test tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOFFHEAP_SANITIZE=thread -DOFFHEAP_TEST_SCALE=10 ;;
      *) echo "unknown build: $b" >&2; exit 2 ;;
    esac
  done
done
