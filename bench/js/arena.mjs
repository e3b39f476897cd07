// Arena benchmarks, part of `npm run bench` (bench/js/run.mjs runs them after
// the allocation suite; `--arena-only` runs only these, `--no-arena` skips them).
//
// churn:   a.alloc(n) + touch, one a.reset() per 1,000 allocations, against
//          Buffer.allocUnsafe(n), new Uint8Array(n) and offheap alloc/free,
//          at 64 B, 1 KiB and 4 KiB.
// request: one request = 1,000 buffers of mixed sizes (16 B - 4 KiB), touched,
//          released together: arena (reset per request), a new arena per
//          request (closed at its end), offheap alloc + free of each,
//          Buffer.allocUnsafe (dropped). Time and GC time per request
//          (PerformanceObserver 'gc' entries in the timed window).
// Every (pattern, contender, size, repetition) runs in its own child process
// (node --expose-gc bench/js/arena-child.mjs), interleaved; medians.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  BENCH_DIR, ROOT_DIR, median, spreadPct, fmtNs, fmtRatio, fmtSize, mdTable, barPanel, legend, svgDoc, machineLine, PALETTE,
  childResult,
} from '../lib/common.mjs';

const CHILD = path.join(BENCH_DIR, 'js', 'arena-child.mjs');
const KiB = 1024;
export const CHURN_SIZES = [64, KiB, 4 * KiB];
const CHURN = ['arena', 'allocUnsafe', 'Uint8Array', 'alloc-free'];
const REQUEST = ['arena', 'arena-scoped', 'alloc-free', 'allocUnsafe'];
const LABEL = {
  arena: 'arena alloc (reset per 1,000)',
  allocUnsafe: 'Buffer.allocUnsafe',
  Uint8Array: 'new Uint8Array',
  'alloc-free': 'offheap alloc + free',
};
const RLABEL = {
  arena: 'arena, reset per request',
  'arena-scoped': 'new arena per request, closed',
  'alloc-free': 'offheap alloc + free of each',
  allocUnsafe: 'Buffer.allocUnsafe, dropped',
};
const CHURN_OPS = 1_000_000;
const REQUEST_OPS = 300;
const MIN_MS = 250;

function runChild(pattern, contender, size, ops, minMs) {
  const r = spawnSync(process.execPath, ['--expose-gc', CHILD, pattern, contender, String(size), String(ops), String(minMs)], {
    cwd: ROOT_DIR,
    encoding: 'utf8',
    timeout: 5 * 60 * 1000,
  });
  return childResult(r, 0);
}

function summarize(rs) {
  if (!rs.length) return null;
  return {
    reps: rs.length,
    ops: rs[0].ops,
    ns_per_op: median(rs.map((r) => r.ns_per_op)),
    spread_pct: +spreadPct(rs.map((r) => r.ns_per_op)).toFixed(1),
    gc_ns_per_op: median(rs.map((r) => r.gc_ns_per_op)),
    gc_pct: +median(rs.map((r) => r.gc_pct)).toFixed(1),
    gc_count: median(rs.map((r) => r.gc_count)),
    peak_rss_kib: median(rs.map((r) => r.peak_rss_kib)),
  };
}

/** Runs the arena suite; returns { doc, tables, targets, failures }. */
export function runArenaSuite({ quick, reps, progress }) {
  const churnOps = quick ? CHURN_OPS / 100 : CHURN_OPS;
  const requestOps = quick ? 3 : REQUEST_OPS;
  const minMs = quick ? 0 : MIN_MS;
  const raw = { churn: {}, request: {} };
  const failures = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const size of CHURN_SIZES) {
      raw.churn[size] ??= {};
      for (const c of CHURN) {
        progress(`[arena rep ${rep + 1}/${reps} churn ${fmtSize(size).padStart(6)}] ${LABEL[c].padEnd(30)} `);
        const r = runChild('churn', c, size, churnOps, minMs);
        if (r.error) {
          progress(`FAILED: ${r.error}\n`);
          failures.push({ pattern: 'churn', size, contender: c, rep, error: r.error });
          continue;
        }
        (raw.churn[size][c] ??= []).push(r);
        progress(`${fmtNs(r.ns_per_op).padStart(9)}/op  gc ${r.gc_pct.toFixed(0)}%\n`);
      }
    }
    for (const c of REQUEST) {
      progress(`[arena rep ${rep + 1}/${reps} request] ${RLABEL[c].padEnd(30)} `);
      const r = runChild('request', c, 1, requestOps, minMs);
      if (r.error) {
        progress(`FAILED: ${r.error}\n`);
        failures.push({ pattern: 'request', size: 0, contender: c, rep, error: r.error });
        continue;
      }
      (raw.request[c] ??= []).push(r);
      progress(`${fmtNs(r.ns_per_op).padStart(9)}/request  gc ${fmtNs(r.gc_ns_per_op)}/request\n`);
    }
  }

  const churn = {};
  for (const size of CHURN_SIZES) {
    churn[size] = {};
    for (const c of CHURN) {
      const s = summarize(raw.churn[size]?.[c] || []);
      if (s) churn[size][c] = s;
    }
  }
  const request = {};
  for (const c of REQUEST) {
    const s = summarize(raw.request[c] || []);
    if (s) request[c] = s;
  }

  const cell = (s) => (s ? `${fmtNs(s.ns_per_op)} (±${Math.round(s.spread_pct / 2)}%)` : 'failed');
  const ratio = (a, b) => (a && b ? fmtRatio(a.ns_per_op / b.ns_per_op) : 'n/a');
  const tChurn = {
    title: `arena: ns per allocation + touch (one reset per 1,000), medians of ${reps}`,
    headers: ['size', ...CHURN.map((c) => LABEL[c]), 'arena / allocUnsafe', 'arena / new Uint8Array'],
    rows: CHURN_SIZES.map((s) => [
      fmtSize(s),
      ...CHURN.map((c) => cell(churn[s][c])),
      ratio(churn[s].arena, churn[s].allocUnsafe),
      ratio(churn[s].arena, churn[s].Uint8Array),
    ]),
  };
  const tRequest = {
    title: `arena: per request of 1,000 mixed-size buffers (16 B - 4 KiB), released together, medians of ${reps}`,
    headers: ['contender', 'time / request', 'GC time / request', 'GC share of time', 'GCs', 'peak RSS MiB'],
    rows: REQUEST.map((c) => {
      const s = request[c];
      return s
        ? [RLABEL[c], cell(s), fmtNs(s.gc_ns_per_op), `${s.gc_pct}%`, String(s.gc_count), (s.peak_rss_kib / 1024).toFixed(0)]
        : [RLABEL[c], 'failed', '', '', '', ''];
    }),
  };

  const targets = [];
  for (const [size, want] of [[64, 0.7], [4 * KiB, 0.3]]) {
    const a = churn[size]?.arena;
    const p = churn[size]?.allocUnsafe;
    const r = a && p ? a.ns_per_op / p.ns_per_op : null;
    targets.push({
      id: `arena-${size}`,
      target: `${fmtSize(size)}: arena alloc+touch (reset per 1,000) <= ${want}x Buffer.allocUnsafe time`,
      status: r === null ? 'n/a' : r <= want ? 'met' : 'missed',
      measured: r === null ? 'not measured' : `${fmtNs(a.ns_per_op)} vs ${fmtNs(p.ns_per_op)} = ${r.toFixed(2)}x`,
    });
  }
  {
    const s = churn[KiB]?.arena;
    const p = churn[KiB]?.allocUnsafe;
    targets.push({
      id: `arena-${KiB}`,
      target: '1 KiB: arena alloc+touch faster than Buffer.allocUnsafe',
      status: s && p ? (s.ns_per_op < p.ns_per_op ? 'met' : 'missed') : 'n/a',
      measured: s && p ? `${fmtNs(s.ns_per_op)} vs ${fmtNs(p.ns_per_op)} = ${(s.ns_per_op / p.ns_per_op).toFixed(2)}x` : 'not measured',
    });
  }

  const tables = [tChurn, tRequest];
  const doc = {
    suite: 'js-arena',
    method:
      'per (pattern, contender, size, repetition) one child process: node --expose-gc bench/js/arena-child.mjs; warm-up of ops/10 untimed, gc(), then timed batches until at least ops and at least 250 ms; GC time = sum of PerformanceObserver gc entry durations starting inside the timed window',
    ops: { churn: churnOps, request: requestOps },
    min_timed_ms: minMs,
    churn,
    request,
    targets,
    failures,
    markdown: tables.map((t) => `**${t.title}**\n\n${mdTable(t.headers, t.rows)}`).join('\n\n'),
    raw,
  };
  function svg(machine) {
    const W = 980;
    const colors = PALETTE.slice(0, CHURN.length);
    const parts = [];
    parts.push(`<text x="10" y="22" font-size="17" font-weight="bold">offheap arena benchmark${quick ? ' (QUICK SMOKE RUN)' : ''}: medians of ${reps} run(s)</text>`);
    parts.push(legend({ x: 12, y: 46, series: CHURN.map((c) => LABEL[c]), colors }));
    parts.push(barPanel({
      x: 0, y: 56, width: W, height: 330, title: 'ns per allocation + touch, one reset per 1,000 (log scale, lower is better)', yLabel: 'ns per op',
      groups: CHURN_SIZES.map((s) => ({ label: fmtSize(s), values: Object.fromEntries(CHURN.map((c) => [c, churn[s][c]?.ns_per_op ?? NaN])) })),
      series: CHURN, colors, fmt: fmtNs,
    }));
    parts.push(barPanel({
      x: 0, y: 396, width: W, height: 300, title: 'per request of 1,000 mixed-size buffers: time and GC time (log scale)', yLabel: 'ns per request',
      groups: REQUEST.map((c) => ({ label: RLABEL[c], values: { time: request[c]?.ns_per_op ?? NaN, gc: request[c]?.gc_ns_per_op ?? NaN } })),
      series: ['time', 'gc'], colors: [PALETTE[0], PALETTE[1]], fmt: fmtNs,
    }));
    return svgDoc(W, 720, parts.join('\n'), `${machineLine(machine)} | ${new Date().toISOString().slice(0, 16)}Z`);
  }
  return { doc, tables, targets, failures, svg };
}
