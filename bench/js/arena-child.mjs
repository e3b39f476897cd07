// One arena measurement in its own process:
//   node --expose-gc bench/js/arena-child.mjs <pattern> <contender> <size> <ops> [minMs]
//
// pattern "churn": one op = allocate `size` bytes + touch (one write per
//   4 KiB page, at least one); the arena is reset once per 1,000 ops, the
//   peers drop the reference (GC reclaims), "alloc-free" frees each block.
// pattern "request": one op = one request: 1,000 buffers of mixed sizes
//   (16 B - 4 KiB, a fixed sequence averaging ~730 B), each touched, all
//   released together at the end of the request (arena: reset; arena-scoped:
//   a new arena per request, closed at the end; alloc-free: free of each;
//   allocUnsafe: dropped). `size` is ignored.
// Times at least <ops> ops and at least minMs ms (whole batches repeat).
// GC time: PerformanceObserver 'gc' entries inside the timed window.
// Prints one JSON line.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { loadOffheap } from './load.mjs';

const [pattern, contender, sizeArg, opsArg, minMsArg] = process.argv.slice(2);
const size = Number(sizeArg);
const ops = Number(opsArg);
const minMs = Number(minMsArg ?? 0) || 0;
if (!pattern || !contender || !(size > 0) || !(ops > 0)) {
  console.error('usage: arena-child.mjs <churn|request> <contender> <size> <ops> [minMs]');
  process.exit(2);
}

/** The package, with arena() (until the ES entry lists it, through its CommonJS default export). */
async function offheap() {
  const oh = await loadOffheap();
  if (typeof oh.arena === 'function') return oh;
  const cjs = (await import('offheap')).default;
  if (typeof cjs?.arena !== 'function') throw new Error('offheap package does not export arena()');
  return Object.assign(Object.create(null), oh, { arena: cjs.arena });
}

const PAGE = 4096;
const RESET_EVERY = 1000;
const PER_REQUEST = 1000;
let sink = 0;

function touch(u) {
  const n = u.length;
  for (let i = 0; i < n; i += PAGE) u[i] = 1;
  sink ^= u[0];
}

// the request's sizes: a fixed sequence, mostly small, some up to 4 KiB
const SIZES = (() => {
  const pick = [16, 24, 40, 64, 100, 128, 200, 256, 500, 512, 1000, 1500, 2048, 3000, 4096];
  const out = new Array(PER_REQUEST);
  let x = 12345;
  for (let i = 0; i < PER_REQUEST; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = pick[(x >>> 8) % pick.length];
  }
  return out;
})();

async function churn() {
  switch (contender) {
    case 'arena': {
      const oh = await offheap();
      const a = oh.arena();
      let n = 0;
      return (k) => {
        for (let i = 0; i < k; i++) {
          touch(a.alloc(size));
          if (++n === RESET_EVERY) {
            a.reset();
            n = 0;
          }
        }
      };
    }
    case 'alloc-free': {
      const { alloc, free } = await offheap();
      return (k) => {
        for (let i = 0; i < k; i++) {
          const u = alloc(size);
          touch(u);
          free(u);
        }
      };
    }
    case 'allocUnsafe':
      return (k) => {
        for (let i = 0; i < k; i++) touch(Buffer.allocUnsafe(size));
      };
    case 'Uint8Array':
      return (k) => {
        for (let i = 0; i < k; i++) touch(new Uint8Array(size));
      };
    default:
      throw new Error(`unknown churn contender ${contender}`);
  }
}

async function request() {
  const keep = new Array(PER_REQUEST);
  switch (contender) {
    case 'arena': {
      const oh = await offheap();
      const a = oh.arena();
      return (k) => {
        for (let r = 0; r < k; r++) {
          for (let i = 0; i < PER_REQUEST; i++) touch((keep[i] = a.alloc(SIZES[i])));
          a.reset();
        }
      };
    }
    case 'arena-scoped': {
      const oh = await offheap();
      return (k) => {
        for (let r = 0; r < k; r++) {
          const a = oh.arena();
          for (let i = 0; i < PER_REQUEST; i++) touch((keep[i] = a.alloc(SIZES[i])));
          a.close();
        }
      };
    }
    case 'alloc-free': {
      const { alloc, free } = await offheap();
      return (k) => {
        for (let r = 0; r < k; r++) {
          for (let i = 0; i < PER_REQUEST; i++) touch((keep[i] = alloc(SIZES[i])));
          for (let i = 0; i < PER_REQUEST; i++) free(keep[i]);
        }
      };
    }
    case 'allocUnsafe':
      return (k) => {
        for (let r = 0; r < k; r++) {
          for (let i = 0; i < PER_REQUEST; i++) touch((keep[i] = Buffer.allocUnsafe(SIZES[i])));
        }
      };
    default:
      throw new Error(`unknown request contender ${contender}`);
  }
}

try {
  const loop = pattern === 'churn' ? await churn() : pattern === 'request' ? await request() : null;
  if (!loop) throw new Error(`unknown pattern ${pattern}`);
  const gcs = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, duration: e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  loop(Math.max(2, Math.ceil(ops / 10))); // warm-up, untimed
  if (globalThis.gc) globalThis.gc();
  let done = 0;
  const t0 = performance.now();
  let t1 = t0;
  do {
    loop(ops);
    done += ops;
    t1 = performance.now();
  } while (t1 - t0 < minMs);
  await new Promise((r) => setTimeout(r, 20)); // gc entries are delivered asynchronously
  obs.disconnect();
  const inWindow = gcs.filter((g) => g.start >= t0 && g.start < t1);
  const gcMs = inWindow.reduce((s, g) => s + g.duration, 0);
  process.stdout.write(
    JSON.stringify({
      pattern,
      contender,
      size,
      ops: done,
      ns_per_op: ((t1 - t0) * 1e6) / done,
      gc_ns_per_op: (gcMs * 1e6) / done,
      gc_count: inWindow.length,
      gc_pct: (100 * gcMs) / (t1 - t0),
      seconds: (t1 - t0) / 1e3,
      peak_rss_kib: process.resourceUsage().maxRSS,
      sink,
    }) + '\n',
  );
} catch (e) {
  process.stdout.write(JSON.stringify({ pattern, contender, size, error: String(e?.stack || e) }) + '\n');
  process.exit(3);
}
