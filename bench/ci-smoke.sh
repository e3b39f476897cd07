#!/usr/bin/env bash
# CI smoke for the benchmarks: checks that both suites build and run end to
# end (tiny op counts); it does not judge speed. Call it from .ci/run after the
# package is built (npm install / npm ci), e.g. `bash bench/ci-smoke.sh`.
# Results go to bench/results/quick/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

# Peer allocators for bench:native come from Debian; without them those
# contenders are skipped with a printed reason (offheap and glibc still run).
if [ ! -e /usr/include/mimalloc.h ] || [ ! -e /usr/include/jemalloc/jemalloc.h ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench smoke: installing libjemalloc-dev libmimalloc-dev"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc-dev libmimalloc-dev; } >/dev/null 2>&1 \
      || echo "bench smoke: could not install jemalloc/mimalloc; those contenders will be skipped"
  fi
fi

echo "bench smoke: npm run bench:native -- --quick"
npm run --silent bench:native -- --quick
echo "bench smoke: npm run bench -- --quick"
npm run --silent bench -- --quick
echo "bench smoke: ok"
