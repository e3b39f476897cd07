// Quick measurement (not a test, not the benchmark suite): fast-mode
// alloc + touch + free pairs from JavaScript, ns per pair, median of runs.
// Usage: node scripts/measure-fast.mjs [runs=7] [iterations=1000000]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { alloc, free } = require('../dist/index.js');

const runs = Number(process.argv[2] ?? 7);
const iters = Number(process.argv[3] ?? 1_000_000);
const sizes = [64, 1024, 4096];

function once(size) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) {
    const v = alloc(size);
    v[0] = i;
    free(v);
  }
  return Number(process.hrtime.bigint() - t0) / iters;
}

const results = {};
for (const size of sizes) {
  once(size); // warm up (JIT, slab caches, pool exposure)
  const xs = [];
  for (let r = 0; r < runs; r++) xs.push(once(size));
  xs.sort((a, b) => a - b);
  results[size] = { medianNs: +xs[xs.length >> 1].toFixed(1), minNs: +xs[0].toFixed(1), maxNs: +xs[xs.length - 1].toFixed(1) };
}
console.log(`fast mode alloc+touch+free, ${iters} pairs x ${runs} runs (ns per pair)`);
for (const size of sizes) {
  const r = results[size];
  console.log(`${String(size).padStart(6)} B  median ${r.medianNs}  (min ${r.minNs}, max ${r.maxNs})`);
}
