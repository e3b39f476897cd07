// One Arrow measurement in its own process:
//   node bench/js/arrow-child.mjs <contender> <file> <rows> <batchRows>
//
// The data: <rows> rows in record batches of <batchRows>, five columns
//   id int32 (row number), a float64, b float64, c int32 (0..99), d float32,
// as written by bench/js/arrow.mjs into <file> (an Arrow IPC file).
// The scan: sum a and b over the rows where c < 30, batch by batch, on the
// columns' typed arrays (the same loop for every contender).
//
// contenders:
//   readIPC       offheap/arrow readIPC(path): the file mapped, zero-copy
//   readFileSync  apache-arrow tableFromIPC(fs.readFileSync(path))
//   build-offheap the same table built in memory: allocArray columns
//                 through makeData / RecordBatch (then released)
//   build-heap    the same with plain typed arrays (new Float64Array(n), ...)
//   write         (not a contender) writes <file> for the others: built like
//                 build-offheap, written with offheap/arrow writeIPC
//
// Reports time to first result (the first batch's sums: for the readers from
// the start, before the file is opened; for the builders once the whole
// table is built), total time (whole scan), peak RSS (maxRSS), RSS split
// into anonymous and file-backed at the end, and GC time (PerformanceObserver
// 'gc' entries in the measured window). Prints one JSON line.
import { readFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const [contender, file, rowsArg, batchArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const batchRows = Number(batchArg);
if (!contender || !(rows > 0) || !(batchRows > 0)) {
  console.error('usage: arrow-child.mjs <readIPC|readFileSync|build-offheap|build-heap|write> <file> <rows> <batchRows>');
  process.exit(2);
}

const A = await import('apache-arrow');
const oa = await import('offheap/arrow');
const oh = (await import('offheap')).default;

/** Column values of row i (the file is written with the same ones: contender "write"). */
const gen = {
  a: (i) => (i % 1000) * 0.5,
  b: (i) => (i % 777) * 0.25,
  c: (i) => (i * 7919) % 100,
  d: (i) => i % 256,
};

/** The filtered sums of one record batch. */
function scanBatch(batch) {
  const a = batch.getChildAt(1).data[0].values;
  const b = batch.getChildAt(2).data[0].values;
  const c = batch.getChildAt(3).data[0].values;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < c.length; i++) {
    if (c[i] < 30) {
      sa += a[i];
      sb += b[i];
    }
  }
  return [sa, sb];
}

/** One record batch of rows [start, start + n), columns from `make(ctor, n)`. */
function buildBatch(make, start, n) {
  const id = make(Int32Array, n);
  const a = make(Float64Array, n);
  const b = make(Float64Array, n);
  const c = make(Int32Array, n);
  const d = make(Float32Array, n);
  for (let j = 0; j < n; j++) {
    const i = start + j;
    id[j] = i;
    a[j] = gen.a(i);
    b[j] = gen.b(i);
    c[j] = gen.c(i);
    d[j] = gen.d(i);
  }
  return new A.RecordBatch({
    id: A.makeData({ type: new A.Int32(), data: id }),
    a: A.makeData({ type: new A.Float64(), data: a }),
    b: A.makeData({ type: new A.Float64(), data: b }),
    c: A.makeData({ type: new A.Int32(), data: c }),
    d: A.makeData({ type: new A.Float32(), data: d }),
  });
}

function buildTable(make) {
  const batches = [];
  for (let start = 0; start < rows; start += batchRows) batches.push(buildBatch(make, start, Math.min(batchRows, rows - start)));
  return new A.Table(batches);
}

/** RSS split from /proc (Linux): anonymous vs file-backed pages, KiB. */
function rssSplit() {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { anon_kib: kib('RssAnon'), file_kib: kib('RssFile') };
  } catch {
    return { anon_kib: null, file_kib: null };
  }
}

if (contender === 'write') {
  const t = buildTable((K, n) => oh.allocArray(K, n));
  const bytes = oa.writeIPC(t, file);
  oa.release(t);
  console.log(JSON.stringify({ contender, rows, bytes }));
  process.exit(0);
}

// Warm up the loops (build and scan) on small batches first, so the measured
// window shows memory management, not the JIT (unoptimised loops box every
// double they add and fill the young generation).
const heapMaker = (K, n) => new K(n);
const ohMaker = (K, n) => oh.allocArray(K, n);
for (let k = 0; k < 40; k++) {
  const b = buildBatch(contender === 'build-offheap' ? ohMaker : heapMaker, k, 20_000);
  scanBatch(b);
  if (contender === 'build-offheap') oa.release(b);
}
globalThis.gc?.();

const gcs = [];
const obs = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
obs.observe({ entryTypes: ['gc'] });

const base_rss_kib = process.resourceUsage().maxRSS;
const t0 = performance.now();
let table;
if (contender === 'readIPC') table = oa.readIPC(file);
else if (contender === 'readFileSync') table = A.tableFromIPC(readFileSync(file));
else if (contender === 'build-offheap') table = buildTable(ohMaker);
else if (contender === 'build-heap') table = buildTable(heapMaker);
else throw new Error(`unknown contender ${contender}`);
const [fa, fb] = scanBatch(table.batches[0]);
const t1 = performance.now();
let sa = fa;
let sb = fb;
for (let k = 1; k < table.batches.length; k++) {
  const [x, y] = scanBatch(table.batches[k]);
  sa += x;
  sb += y;
}
const t2 = performance.now();
const split = rssSplit();
const peak_rss_kib = process.resourceUsage().maxRSS;
if (table.numRows !== rows) throw new Error(`read ${table.numRows} rows, expected ${rows}`);
if (contender === 'readIPC' || contender === 'build-offheap') oa.release(table);
await new Promise((r) => setTimeout(r, 20)); // let the observer deliver the last entries
obs.disconnect();
const gcIn = gcs.filter((e) => e.startTime >= t0 && e.startTime <= t2);
console.log(
  JSON.stringify({
    contender,
    rows,
    first_ms: t1 - t0,
    total_ms: t2 - t0,
    gc_ms: gcIn.reduce((s, e) => s + e.duration, 0),
    gc_count: gcIn.length,
    peak_rss_kib,
    base_rss_kib,
    ...split,
    check: [sa, sb],
  }),
);
