#!/usr/bin/env node
// JS allocation benchmark driver: `npm run bench [-- options]`.
//
// For each size: allocate, touch (one write per 4 KiB page, at least one),
// release; contenders: offheap fast mode (alloc + free), offheap checked mode
// (configure({checked: true})), new ArrayBuffer + Uint8Array view,
// Buffer.allocUnsafe, Buffer.allocUnsafeSlow. Peers release by dropping the
// reference. Every (contender, size, repetition) runs in its own child process
// (node --expose-gc bench/js/child.mjs), interleaved; medians; ratios from the
// same run. Writes bench/results/<date>-js.json and bench/results/js.svg.
//
// Options:
//   --sizes 64,1k,4k,...  sizes to run (B, k/KiB, m/MiB suffixes)
//   --contenders a,b      subset of: offheap, offheap-checked, ArrayBuffer, allocUnsafe, allocUnsafeSlow
//   --quick               1/100 of the ops, 1 repetition (CI smoke: seconds);
//                         results go to bench/results/quick/
//   --reps N              repetitions (default 5)
//   --json                print the result document as JSON on stdout (tables go to stderr)
//   --arena-only          run only the arena benchmarks (bench/js/arena.mjs)
//   --no-arena            skip the arena benchmarks
//   --arrow-only          run only the Arrow benchmarks (bench/js/arrow.mjs)
//   --no-arrow            skip the Arrow benchmarks
// The arena benchmarks run after this suite and write bench/results/<date>-js-arena.json,
// then the Arrow benchmarks bench/results/<date>-js-arrow.json (with --json
// their documents are printed only with --arena-only / --arrow-only).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {
  BENCH_DIR, ROOT_DIR, median, spreadPct, fmtNs, fmtMiB, fmtRatio, fmtSize, parseSize, mdTable,
  machineInfo, machineLine, writeResults, parseBenchArgs, outputs, reportText, linePanel, legend, svgDoc, PALETTE,
  childResult,
} from '../lib/common.mjs';
import { runArenaSuite } from './arena.mjs';
import { runArrowSuite } from './arrow.mjs';

const CONTENDERS = ['offheap', 'offheap-checked', 'ArrayBuffer', 'allocUnsafe', 'allocUnsafeSlow'];
const LABEL = {
  offheap: 'offheap (fast)',
  'offheap-checked': 'offheap (checked)',
  ArrayBuffer: 'new ArrayBuffer',
  allocUnsafe: 'Buffer.allocUnsafe',
  allocUnsafeSlow: 'Buffer.allocUnsafeSlow',
};
const KiB = 1024, MiB = 1024 * 1024;
// ops per measurement, the same for every contender (so peak RSS compares)
// (the timed window also lasts at least MIN_MS: fast contenders repeat whole batches)
const OPS = new Map([
  [64, 1_000_000], [KiB, 1_000_000], [4 * KiB, 1_000_000], [64 * KiB, 200_000],
  [MiB, 10_000], [16 * MiB, 600], [64 * MiB, 60],
]);
const MIN_MS = 250;
const DEFAULT_SIZES = [...OPS.keys()];

function opsFor(size, quick) {
  let ops = OPS.get(size);
  if (!ops) ops = Math.max(20, Math.round((64 * MiB * 60) / Math.max(size, 1) / 4)); // ~1 GiB touched
  ops = Math.min(ops, 1_000_000);
  return quick ? Math.max(3, Math.round(ops / 100)) : ops;
}

const opts = parseBenchArgs(process.argv.slice(2), {
  defaults: { sizes: DEFAULT_SIZES },
  contenders: CONTENDERS,
  usage: 'usage: npm run bench -- [--sizes 64,1k,4k,64k,1m,16m,64m] [--contenders ...] [--quick] [--reps N] [--json] [--arena-only | --no-arena] [--arrow-only | --no-arrow]',
  extra(name, value, o) {
    if (name === '--arena-only') return (o.arena = 'only');
    if (name === '--no-arena') return (o.arena = 'no');
    if (name === '--arrow-only') return (o.arrow = 'only');
    if (name === '--no-arrow') return (o.arrow = 'no');
    if (name !== '--sizes') return false;
    o.sizes = value().split(',').filter(Boolean).map(parseSize);
    for (const size of o.sizes) if (!(size > 0)) throw new Error(`bad size ${size}`);
    return true;
  },
});
const { log, progress } = outputs(opts);

/** The arena suite (bench/js/arena.mjs): tables, targets, results file; false if anything failed. */
function arenaSuite() {
  const t = Date.now();
  const r = runArenaSuite({ quick: opts.quick, reps: opts.reps, progress });
  const text = reportText({
    tables: r.tables, targets: r.targets, quick: opts.quick, failures: r.failures, skipped: {}, elapsed: (Date.now() - t) / 1000,
    failureLabel: (f) => `arena ${f.pattern} ${f.size ? fmtSize(f.size) : ''}/${f.contender}`,
  });
  log(text.join('\n'));
  const doc = { date: new Date().toISOString(), quick: opts.quick, reps: opts.reps, machine: machineInfo(), ...r.doc };
  writeResults('js-arena', doc, r.svg(doc.machine), { ...opts, json: opts.json && opts.arena === 'only' }, progress);
  return r.failures.length === 0;
}

/** The Arrow suite (bench/js/arrow.mjs): tables, targets, results file; false if anything failed. */
function arrowSuite() {
  const t = Date.now();
  const r = runArrowSuite({ quick: opts.quick, reps: opts.reps, progress });
  const text = reportText({
    tables: r.tables, targets: r.targets, quick: opts.quick, failures: r.failures, skipped: {}, elapsed: (Date.now() - t) / 1000,
    failureLabel: (f) => `arrow ${f.contender}`,
  });
  log(text.join('\n'));
  const doc = { date: new Date().toISOString(), quick: opts.quick, reps: opts.reps, machine: machineInfo(), ...r.doc };
  writeResults('js-arrow', doc, r.svg(doc.machine), { ...opts, json: opts.json && opts.arrow === 'only' }, progress);
  return r.failures.length === 0;
}
if (opts.arena === 'only') {
  process.exitCode = arenaSuite() ? 0 : 1;
  process.exit();
}
if (opts.arrow === 'only') {
  process.exitCode = arrowSuite() ? 0 : 1;
  process.exit();
}
const CHILD = path.join(BENCH_DIR, 'js', 'child.mjs');

function runChild(contender, size) {
  const ops = opsFor(size, opts.quick);
  const r = spawnSync(process.execPath, ['--expose-gc', CHILD, contender, String(size), String(ops), String(opts.quick ? 0 : MIN_MS)], {
    cwd: ROOT_DIR,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
    maxBuffer: 16 << 20,
  });
  return childResult(r, 4);
}

const machine = machineInfo();
progress(`machine: ${machineLine(machine)}\n`);
progress(`contenders: ${opts.contenders.join(', ')}; sizes: ${opts.sizes.map(fmtSize).join(', ')}; ${opts.reps} repetition(s)${opts.quick ? ' (quick)' : ''}\n`);

// Probe offheap once: if the package cannot load, skip its contenders with the reason.
const skipped = {};
const probeContenders = opts.contenders.filter((c) => c.startsWith('offheap'));
for (const c of probeContenders) {
  const r = runChild(c, 64);
  if (r.error) skipped[c] = r.error;
}
for (const c of Object.keys(skipped)) progress(`skipping ${c}: ${skipped[c]}\n`);
const contenders = opts.contenders.filter((c) => !skipped[c]);

const raw = {}; // raw[size][contender] = [result...]
const failures = [];
const t0 = Date.now();
for (let rep = 0; rep < opts.reps; rep++) {
  for (const size of opts.sizes) {
    raw[size] ??= {};
    for (const c of contenders) {
      raw[size][c] ??= [];
      progress(`[rep ${rep + 1}/${opts.reps} ${fmtSize(size).padStart(6)}] ${LABEL[c].padEnd(22)} `);
      const r = runChild(c, size);
      if (r.error) {
        progress(`FAILED: ${r.error}\n`);
        failures.push({ size, contender: c, rep, error: r.error });
        continue;
      }
      raw[size][c].push(r);
      progress(`${fmtNs(r.ns_per_op).padStart(9)}/op  peak RSS ${fmtMiB(r.peak_rss_kib).padStart(6)} MiB\n`);
    }
  }
}
const elapsed = (Date.now() - t0) / 1000;

// ---- aggregate --------------------------------------------------------------
const summary = {};
for (const size of opts.sizes) {
  summary[size] = {};
  for (const c of contenders) {
    const rs = raw[size]?.[c] || [];
    if (!rs.length) continue;
    summary[size][c] = {
      reps: rs.length,
      ops: rs[0].ops,
      ns_per_op: median(rs.map((r) => r.ns_per_op)),
      spread_pct: +spreadPct(rs.map((r) => r.ns_per_op)).toFixed(1),
      peak_rss_kib: median(rs.map((r) => r.peak_rss_kib)),
      base_rss_kib: median(rs.map((r) => r.base_rss_kib)),
      ...(rs[0].stats ? { offheap_stats: rs[Math.floor(rs.length / 2)].stats } : {}),
    };
  }
  for (const mode of ['offheap', 'offheap-checked']) {
    const o = summary[size][mode];
    if (!o) continue;
    o.ratios = {};
    for (const p of ['ArrayBuffer', 'allocUnsafe', 'allocUnsafeSlow']) {
      const s = summary[size][p];
      if (s) o.ratios[p] = { time: o.ns_per_op / s.ns_per_op, rss: o.peak_rss_kib / s.peak_rss_kib };
    }
  }
}

// ---- targets ----------------------------------------------------------------
const targetResults = [];
{
  const small = opts.sizes.filter((s) => s >= 64 && s <= 4 * KiB);
  for (const s of small) {
    const o = summary[s]?.offheap;
    targetResults.push({
      id: `js-${s}`,
      target: `${fmtSize(s)}: offheap alloc+touch+free <= 80 ns`,
      status: o ? (o.ns_per_op <= 80 ? 'met' : 'missed') : 'n/a',
      measured: o ? fmtNs(o.ns_per_op) : 'offheap not measured',
    });
  }
  for (const s of opts.sizes.filter((x) => x >= 64 * KiB)) {
    const o = summary[s]?.offheap;
    for (const [p, want] of [['ArrayBuffer', 10], ['allocUnsafe', 3]]) {
      const peer = summary[s]?.[p];
      const ok = o && peer ? peer.ns_per_op / o.ns_per_op >= want : null;
      targetResults.push({
        id: `js-${s}-${p}`,
        target: `${fmtSize(s)}: offheap >= ${want}x faster than ${LABEL[p]}`,
        status: ok === null ? 'n/a' : ok ? 'met' : 'missed',
        measured: o && peer ? `${fmtNs(o.ns_per_op)} vs ${fmtNs(peer.ns_per_op)} = ${(peer.ns_per_op / o.ns_per_op).toFixed(1)}x faster` : 'not measured',
      });
    }
  }
}

// ---- output -----------------------------------------------------------------
const present = contenders;
const sizeRows = opts.sizes;
const tTime = {
  title: 'ns per alloc + touch + release (median; ±x% = half of (max-min)/median over the repetitions)',
  headers: ['size', ...present.map((c) => LABEL[c])],
  rows: sizeRows.map((s) => [fmtSize(s), ...present.map((c) => (summary[s][c] ? `${fmtNs(summary[s][c].ns_per_op)} (±${Math.round(summary[s][c].spread_pct / 2)}%)` : 'failed'))]),
};
const tRss = {
  title: 'peak RSS MiB of the measuring process (node itself is ~45 MiB)',
  headers: ['size', ...present.map((c) => LABEL[c])],
  rows: sizeRows.map((s) => [fmtSize(s), ...present.map((c) => (summary[s][c] ? fmtMiB(summary[s][c].peak_rss_kib) : 'failed'))]),
};
const ratioCols = [];
for (const mode of ['offheap', 'offheap-checked'])
  for (const p of ['ArrayBuffer', 'allocUnsafe', 'allocUnsafeSlow'])
    if (present.includes(mode) && present.includes(p)) ratioCols.push([mode, p]);
const tRatio = {
  title: 'time ratio offheap / peer, same run (< 1: offheap faster; 0.10x = 10x faster)',
  headers: ['size', ...ratioCols.map(([m, p]) => `${m === 'offheap' ? 'fast' : 'checked'} / ${LABEL[p]}`)],
  rows: sizeRows.map((s) => [fmtSize(s), ...ratioCols.map(([m, p]) => { const r = summary[s][m]?.ratios?.[p]; return r ? fmtRatio(r.time) : 'n/a'; })]),
};
const tables = ratioCols.length ? [tTime, tRss, tRatio] : [tTime, tRss];

const text = reportText({
  tables, targets: targetResults, quick: opts.quick, failures, skipped, elapsed,
  failureLabel: (f) => `${fmtSize(f.size)}/${f.contender}`,
});
log(text.join('\n'));

machine.loadavg_end = os.loadavg().map((x) => +x.toFixed(2));
const doc = {
  suite: 'js',
  date: new Date().toISOString(),
  quick: opts.quick,
  reps: opts.reps,
  machine,
  method: 'per (contender, size, repetition) one child process: node --expose-gc bench/js/child.mjs; warm-up of ops/10 untimed, gc(), then timed batches of ops iterations until at least ops and at least 250 ms of allocate + touch (1 write per 4 KiB page) + release; peak RSS = process.resourceUsage().maxRSS',
  sizes: opts.sizes,
  ops: Object.fromEntries(opts.sizes.map((s) => [s, opsFor(s, opts.quick)])),
  min_timed_ms: opts.quick ? 0 : MIN_MS,
  contenders: present,
  skipped,
  summary,
  targets: targetResults,
  failures,
  markdown: tables.map((t) => `**${t.title}**\n\n${mdTable(t.headers, t.rows)}`).join('\n\n'),
  raw,
};
writeResults('js', doc, renderSvg(), opts, progress);
// offheap must be measurable: a missing or failing offheap contender fails the run
process.exitCode = failures.length || Object.keys(skipped).length ? 1 : 0;
if (opts.arena !== 'no' && !arenaSuite()) process.exitCode = 1;
if (opts.arrow !== 'no' && !arrowSuite()) process.exitCode = 1;

function renderSvg() {
  const W = 980;
  const colors = present.map((c) => PALETTE[CONTENDERS.indexOf(c)]);
  const labels = present.map((c) => LABEL[c]);
  const xLabels = sizeRows.map(fmtSize);
  const parts = [];
  parts.push(`<text x="10" y="22" font-size="17" font-weight="bold">offheap JS benchmark: allocate + touch + release${opts.quick ? ' (QUICK SMOKE RUN)' : ''}, medians of ${opts.reps} run(s)</text>`);
  parts.push(legend({ x: 12, y: 46, series: labels, colors }));
  const lines = (metric) => present.map((c, i) => ({ name: LABEL[c], color: colors[i], points: sizeRows.map((s, j) => [j, summary[s][c] ? metric(summary[s][c]) : NaN]) }));
  parts.push(linePanel({ x: 0, y: 56, width: W, height: 380, title: 'time per operation (log scale, lower is better)', yLabel: 'ns per op', xLabel: 'block size', xLabels, logY: true, fmtY: fmtNs, lines: lines((s) => s.ns_per_op) }));
  parts.push(linePanel({ x: 0, y: 446, width: W, height: 280, title: 'peak RSS of the process (log scale)', yLabel: 'MiB', xLabel: 'block size', xLabels, logY: true, fmtY: (v) => `${v >= 1 ? v.toFixed(0) : v}`, lines: lines((s) => s.peak_rss_kib / 1024) }));
  return svgDoc(W, 750, parts.join('\n'), `${machineLine(machine)} | ${new Date().toISOString().slice(0, 16)}Z`);
}
