// Smoke test of an *installed* offheap (run from a project that did
// `npm install offheap-x.y.z.tgz`): which binary loaded, alloc, free, a worker
// hand-off and stats. Prints one JSON line and exits 0 only when every check
// passed; used by test/pack.test.ts and scripts/platform-check.mjs on every
// platform they try (this machine, a bullseye root, arm64 under qemu).
'use strict';
const { Worker } = require('node:worker_threads');
const path = require('node:path');

const oh = require('offheap');
const pkgDir = path.dirname(require.resolve('offheap/package.json'));
const loaded = require('node-gyp-build').path(pkgDir);
const checks = {};
const EXPECTED = ['alloc', 'statsGrow', 'free', 'doubleFree', 'handoff', 'adoptOnce', 'processStats'];

const s0 = oh.stats();
const v = oh.alloc(4096);
v.fill(7);
const f = oh.allocArray(Float64Array, 1 << 17); // 1 MiB
f[f.length - 1] = 2.5;
const s1 = oh.stats();
checks.alloc = v.length === 4096 && v[4095] === 7 && f[f.length - 1] === 2.5;
checks.statsGrow = s1.bytesLive - s0.bytesLive >= 4096 + (1 << 20) && s1.allocCount === s0.allocCount + 2;
oh.free(v);
oh.free(f);
let code = null;
try {
  oh.free(v);
} catch (e) {
  code = e.code;
}
checks.free = oh.stats().bytesLive === s0.bytesLive;
checks.doubleFree = code === 'ERR_OFFHEAP_INVALID_FREE';

const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const oh = require('offheap');
   const col = oh.allocArray(Float64Array, 100000);
   for (let i = 0; i < col.length; i++) col[i] = i * 0.5;
   parentPort.postMessage(oh.handleOf(col));`,
  { eval: true },
);
const timer = setTimeout(() => done('worker timed out'), 60_000);
worker.once('error', (e) => done(`worker error: ${e && e.message}`));
worker.once('message', (handle) => {
  const col = oh.adopt(handle, Float64Array);
  checks.handoff = col.length === 100000 && col[99999] === 49999.5;
  let again = null;
  try {
    oh.adopt(handle, Float64Array);
  } catch (e) {
    again = e.code;
  }
  checks.adoptOnce = again === 'ERR_OFFHEAP_INVALID_HANDLE';
  oh.free(col);
  worker.once('exit', () => {
    const p = oh.stats('process');
    checks.processStats = typeof p.bytesLive === 'number' && typeof p.allocCount === 'number';
    done(null);
  });
});

function done(err) {
  clearTimeout(timer);
  const ok = !err && EXPECTED.every((k) => checks[k] === true);
  console.log(JSON.stringify({ ok, err, node: process.version, arch: process.arch, loaded: path.relative(pkgDir, loaded), checks }));
  process.exit(ok ? 0 : 1);
}
