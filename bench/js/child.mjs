// One measurement in its own process:
//   node --expose-gc bench/js/child.mjs <contender> <size> <ops> [minMs]
// Times at least <ops> iterations and at least minMs milliseconds (whole
// batches of <ops> are repeated until then), so fast contenders get a long
// enough window on a noisy machine.
// Loop: allocate `size` bytes, touch them (one write per 4 KiB page, at least
// one write), release. offheap frees explicitly; peers drop the reference and
// let the GC reclaim. Prints one JSON line.
import { performance } from 'node:perf_hooks';
import { loadOffheap } from './load.mjs';

const [contender, sizeArg, opsArg, minMsArg] = process.argv.slice(2);
const minMs = Number(minMsArg ?? 0) || 0;
const size = Number(sizeArg);
const ops = Number(opsArg);
if (!contender || !(size > 0) || !(ops > 0)) {
  console.error('usage: child.mjs <contender> <size> <ops>');
  process.exit(2);
}

const PAGE = 4096;
let sink = 0;

function touch(u) {
  const n = u.length;
  for (let i = 0; i < n; i += PAGE) u[i] = 1;
  sink ^= u[0];
}

async function makeLoop() {
  switch (contender) {
    case 'offheap':
    case 'offheap-checked': {
      const oh = await loadOffheap();
      if (contender === 'offheap-checked') oh.configure({ checked: true });
      const { alloc, free } = oh;
      return {
        version: oh.__version,
        loop(k) {
          for (let i = 0; i < k; i++) {
            const u = alloc(size);
            touch(u);
            free(u);
          }
        },
        stats: () => {
          try {
            const s = oh.stats('process');
            return { bytesLive: s.bytesLive, bytesMapped: s.bytesMapped, poolCount: s.poolCount, hugeCount: s.hugeCount, slabHits: s.slabHits };
          } catch {
            return undefined;
          }
        },
      };
    }
    case 'ArrayBuffer':
      return {
        loop(k) {
          for (let i = 0; i < k; i++) touch(new Uint8Array(new ArrayBuffer(size)));
        },
      };
    case 'allocUnsafe':
      return {
        loop(k) {
          for (let i = 0; i < k; i++) touch(Buffer.allocUnsafe(size));
        },
      };
    case 'allocUnsafeSlow':
      return {
        loop(k) {
          for (let i = 0; i < k; i++) touch(Buffer.allocUnsafeSlow(size));
        },
      };
    default:
      throw new Error(`unknown contender ${contender}`);
  }
}

try {
  const c = await makeLoop();
  const rssBase = process.resourceUsage().maxRSS;
  // warm-up: a tenth of the run (at least 2), untimed, lets the JIT and pools settle
  c.loop(Math.max(2, Math.ceil(ops / 10)));
  if (globalThis.gc) globalThis.gc();
  let done = 0;
  const t0 = performance.now();
  let t1 = t0;
  do {
    c.loop(ops);
    done += ops;
    t1 = performance.now();
  } while (t1 - t0 < minMs);
  const ru = process.resourceUsage();
  const out = {
    contender,
    size,
    ops: done,
    ns_per_op: ((t1 - t0) * 1e6) / done,
    seconds: (t1 - t0) / 1e3,
    peak_rss_kib: ru.maxRSS,
    base_rss_kib: rssBase,
    version: c.version,
    stats: c.stats?.(),
    sink,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ contender, size, error: String(e?.stack || e) }) + '\n');
  process.exit(3);
}
