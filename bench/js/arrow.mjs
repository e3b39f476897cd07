// Arrow benchmarks, part of `npm run bench` (bench/js/run.mjs runs them after
// the arena suite; `--arrow-only` runs only these, `--no-arrow` skips them).
//
// A 10M-row, 5-column Arrow IPC file (280 MB; 1M rows with --quick), written
// once per run into the OS temp dir by offheap/arrow writeIPC and read once
// (cat) so every contender finds it in the page cache. The scan sums two
// columns over the rows where a third is < 30, batch by batch.
//   readIPC       offheap/arrow readIPC(path): mapped, zero-copy
//   readFileSync  apache-arrow tableFromIPC(fs.readFileSync(path))
//   build-offheap the same table built from allocArray columns
//   build-heap    the same table built from plain typed arrays
// Every (contender, repetition) runs in its own child process
// (node --expose-gc bench/js/arrow-child.mjs), interleaved; medians of time to
// first result, total time, peak RSS and GC time (PerformanceObserver 'gc').
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BENCH_DIR, ROOT_DIR, median, spreadPct, fmtRatio, mdTable, barPanel, legend, svgDoc, machineLine, PALETTE,
  childResult,
} from '../lib/common.mjs';

const CHILD = path.join(BENCH_DIR, 'js', 'arrow-child.mjs');
const READERS = ['readIPC', 'readFileSync'];
const BUILDERS = ['build-offheap', 'build-heap'];
const LABEL = {
  readIPC: 'offheap readIPC(path)',
  readFileSync: 'tableFromIPC(readFileSync(path))',
  'build-offheap': 'built from allocArray columns',
  'build-heap': 'built from plain typed arrays',
};

function runChild(contender, file, rows, batchRows) {
  const r = spawnSync(process.execPath, ['--expose-gc', CHILD, contender, file, String(rows), String(batchRows)], {
    cwd: ROOT_DIR,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  return childResult(r);
}

function summarize(rs) {
  if (!rs.length) return null;
  const m = (k) => median(rs.map((r) => r[k]));
  return {
    reps: rs.length,
    first_ms: +m('first_ms').toFixed(1),
    first_spread_pct: +spreadPct(rs.map((r) => r.first_ms)).toFixed(1),
    total_ms: +m('total_ms').toFixed(1),
    total_spread_pct: +spreadPct(rs.map((r) => r.total_ms)).toFixed(1),
    gc_ms: +m('gc_ms').toFixed(1),
    gc_count: m('gc_count'),
    peak_rss_kib: m('peak_rss_kib'),
    anon_kib: m('anon_kib'),
    file_kib: m('file_kib'),
  };
}

/** Runs the Arrow suite; returns { doc, tables, targets, failures, svg }. */
export function runArrowSuite({ quick, reps, progress }) {
  const rows = quick ? 1_000_000 : 10_000_000;
  const batchRows = quick ? 100_000 : 1_000_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'offheap-arrow-bench-'));
  const file = path.join(dir, 'scan.arrow');
  const failures = [];
  const raw = {};
  let fileBytes = 0;
  try {
    progress(`[arrow] writing a ${rows.toLocaleString('en-US')}-row, 5-column IPC file ... `);
    const w = runChild('write', file, rows, batchRows);
    if (w.error) throw new Error(`writing the benchmark file failed: ${w.error}`);
    fileBytes = w.bytes;
    readFileSync(file); // into the page cache for everyone
    progress(`${(fileBytes / 1e6).toFixed(0)} MB\n`);
    for (let rep = 0; rep < reps; rep++) {
      for (const c of [...READERS, ...BUILDERS]) {
        progress(`[arrow rep ${rep + 1}/${reps}] ${LABEL[c].padEnd(34)} `);
        const r = runChild(c, file, rows, batchRows);
        if (r.error) {
          progress(`FAILED: ${r.error}\n`);
          failures.push({ contender: c, rep, error: r.error });
          continue;
        }
        (raw[c] ??= []).push(r);
        progress(`first ${r.first_ms.toFixed(0)} ms, total ${r.total_ms.toFixed(0)} ms, GC ${r.gc_ms.toFixed(1)} ms, peak RSS ${(r.peak_rss_kib / 1024).toFixed(0)} MiB\n`);
      }
    }
  } catch (e) {
    failures.push({ contender: 'setup', rep: 0, error: String(e?.message || e) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // every contender must compute the same sums
  const checks = new Set(Object.values(raw).flat().map((r) => JSON.stringify(r.check)));
  if (checks.size > 1) failures.push({ contender: 'check', rep: 0, error: `contenders disagree on the scan result: ${[...checks].join(' vs ')}` });

  const summary = {};
  for (const c of [...READERS, ...BUILDERS]) {
    const s = summarize(raw[c] || []);
    if (s) summary[c] = s;
  }
  const mib = (kib) => (kib / 1024).toFixed(0);
  const row = (c) => {
    const s = summary[c];
    return s
      ? [LABEL[c], `${s.first_ms} ms (±${Math.round(s.first_spread_pct / 2)}%)`, `${s.total_ms} ms (±${Math.round(s.total_spread_pct / 2)}%)`,
        mib(s.peak_rss_kib), `${mib(s.anon_kib)} / ${mib(s.file_kib)}`, `${s.gc_ms} ms (${s.gc_count})`]
      : [LABEL[c], 'failed', '', '', '', ''];
  };
  const headers = ['contender', 'time to first result', 'total time', 'peak RSS MiB', 'RSS anon / file MiB at end', 'GC time (GCs)'];
  const ratioRow = (o, p) => {
    const a = summary[o];
    const b = summary[p];
    if (!a || !b) return ['offheap / peer', 'n/a', 'n/a', 'n/a', '', 'n/a'];
    return ['offheap / peer', fmtRatio(a.first_ms / b.first_ms), fmtRatio(a.total_ms / b.total_ms), fmtRatio(a.peak_rss_kib / b.peak_rss_kib), '',
      b.gc_ms > 0 ? fmtRatio(a.gc_ms / b.gc_ms) : 'n/a'];
  };
  const scanTitle = `Arrow scan of a ${rows.toLocaleString('en-US')}-row, 5-column IPC file (${(fileBytes / 1e6).toFixed(0)} MB, page cache warm), medians of ${reps}`;
  const tRead = { title: scanTitle, headers, rows: [...READERS.map(row), ratioRow('readIPC', 'readFileSync')] };
  const tBuild = {
    title: `the same table built in memory from columns, then scanned (first result: first batch, after the whole table is built), medians of ${reps}`,
    headers,
    rows: [...BUILDERS.map(row), ratioRow('build-offheap', 'build-heap')],
  };

  const targets = [];
  const o = summary.readIPC;
  const p = summary.readFileSync;
  const t = (id, target, ok, measured) => targets.push({ id, target, status: ok === null ? 'n/a' : ok ? 'met' : 'missed', measured });
  t('arrow-first', 'Arrow scan: readIPC(path) >= 2x faster to first result than tableFromIPC(readFileSync)',
    o && p ? p.first_ms / o.first_ms >= 2 : null, o && p ? `${o.first_ms} vs ${p.first_ms} ms = ${(p.first_ms / o.first_ms).toFixed(1)}x faster` : 'not measured');
  t('arrow-rss', 'Arrow scan: lower peak RSS', o && p ? o.peak_rss_kib < p.peak_rss_kib : null,
    o && p ? `${mib(o.peak_rss_kib)} vs ${mib(p.peak_rss_kib)} MiB (anonymous ${mib(o.anon_kib)} vs ${mib(p.anon_kib)} MiB)` : 'not measured');
  t('arrow-gc', 'Arrow scan: GC time <= 0.1x', o && p && p.gc_ms > 0 ? o.gc_ms / p.gc_ms <= 0.1 : null,
    o && p ? `${o.gc_ms} vs ${p.gc_ms} ms = ${p.gc_ms > 0 ? (o.gc_ms / p.gc_ms).toFixed(2) : 'n/a'}x` : 'not measured');

  const tables = [tRead, tBuild];
  const doc = {
    suite: 'js-arrow',
    method:
      'per (contender, repetition) one child process: node --expose-gc bench/js/arrow-child.mjs; build and scan loops warmed up on small batches, then gc(); timed from before the file is opened (readers) or the first column is allocated (builders) to the first batch\'s filtered sums (first result) and to the last batch\'s (total); peak RSS = process.resourceUsage().maxRSS, anon/file = RssAnon/RssFile of /proc/self/status after the scan; GC time = sum of PerformanceObserver gc entry durations starting inside the window',
    rows,
    batch_rows: batchRows,
    file_bytes: fileBytes,
    summary,
    targets,
    failures,
    markdown: tables.map((x) => `**${x.title}**\n\n${mdTable(x.headers, x.rows)}`).join('\n\n'),
    raw,
  };
  function svg(machine) {
    const W = 980;
    const series = ['first', 'total', 'gc'];
    const colors = [PALETTE[0], PALETTE[1], PALETTE[2]];
    const parts = [];
    parts.push(`<text x="10" y="22" font-size="17" font-weight="bold">offheap Arrow benchmark${quick ? ' (QUICK SMOKE RUN)' : ''}: ${rows.toLocaleString('en-US')} rows, medians of ${reps} run(s)</text>`);
    parts.push(legend({ x: 12, y: 46, series: ['time to first result', 'total time', 'GC time'], colors }));
    parts.push(barPanel({
      x: 0, y: 56, width: W, height: 330, title: 'ms (log scale, lower is better)', yLabel: 'ms',
      groups: [...READERS, ...BUILDERS].map((c) => ({ label: LABEL[c], values: { first: summary[c]?.first_ms ?? NaN, total: summary[c]?.total_ms ?? NaN, gc: summary[c]?.gc_ms || NaN } })),
      series, colors, fmt: (v) => `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}`,
    }));
    parts.push(barPanel({
      x: 0, y: 396, width: W, height: 300, title: 'peak RSS MiB (linear)', yLabel: 'MiB', linear: true,
      groups: [...READERS, ...BUILDERS].map((c) => ({ label: LABEL[c], values: { rss: summary[c] ? summary[c].peak_rss_kib / 1024 : NaN } })),
      series: ['rss'], colors: [PALETTE[3]], fmt: (v) => v.toFixed(0),
    }));
    return svgDoc(W, 720, parts.join('\n'), `${machineLine(machine)} | ${new Date().toISOString().slice(0, 16)}Z`);
  }
  return { doc, tables, targets, failures, svg };
}
