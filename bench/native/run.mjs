#!/usr/bin/env node
// Native allocator benchmark driver: `npm run bench:native [-- options]`.
//
// Builds one harness executable per contender (bench/native/CMakeLists.txt,
// in the root CMake tree), runs them as separate processes interleaved
// (A B C D, A B C D, ...), takes medians, prints tables, and writes
// bench/results/<date>-native.json and bench/results/native.svg.
//
// Options:
//   --quick             tiny op counts, 1 repetition (CI smoke: seconds); results
//                       go to bench/results/quick/ so committed results stay put
//   --json              print the result document as JSON on stdout (tables go to stderr)
//   --workloads a,b     subset of: small, large, prodcons, threads
//   --contenders a,b    subset of: offheap, mimalloc, jemalloc, glibc
//   --reps N            repetitions (default 5; --quick: 1)
//   --no-build          use executables already built
//   --build-dir DIR     CMake build tree (default build-bench/: node-gyp rebuild wipes build/)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BENCH_DIR, ROOT_DIR, median, spreadPct, fmtNs, fmtNum, fmtMiB, fmtRatio, mdTable,
  machineInfo, machineLine, writeResults, parseBenchArgs, outputs, reportText, barPanel, linePanel, legend, svgDoc, PALETTE,
} from '../lib/common.mjs';

const CONTENDERS = ['offheap', 'mimalloc', 'jemalloc', 'glibc'];
const WORKLOADS = {
  small: { title: 'churn 16-4096 B', desc: 'same thread, 10k live slots, free random slot + alloc random 16..4096 B + write 1 byte', ops: 10_000_000, quick: 200_000 },
  large: { title: 'churn 16 B-1 MiB', desc: 'same thread, 10k live slots, free random slot + alloc random 16 B..1 MiB + write 1 byte', ops: 1_000_000, quick: 20_000 },
  prodcons: { title: 'producer/consumer', desc: '1 producer allocates 16..4096 B and pushes through a 4096-entry SPSC ring, 1 consumer frees (100% cross-thread frees); runs 3 s, RSS sampled every 10 ms', ops: 1e12, quick: 200_000, maxSeconds: 3, quickMaxSeconds: 0.5 },
  threads: { title: 'thread churn', desc: 'rounds of 4 short-lived threads, 5,000 ops each: alloc 16..4096 B, swap into a shared 10k-slot array, free the block found there (allocated by another, mostly exited, thread)', ops: 4_000_000, quick: 100_000 },
};

// ---- options --------------------------------------------------------------
const opts = parseBenchArgs(process.argv.slice(2), {
  defaults: { workloads: Object.keys(WORKLOADS), build: true, buildDir: path.join(ROOT_DIR, 'build-bench') },
  contenders: CONTENDERS,
  usage: 'usage: npm run bench:native -- [--quick] [--json] [--workloads small,large,prodcons,threads] [--contenders offheap,mimalloc,jemalloc,glibc] [--reps N] [--no-build] [--build-dir DIR]',
  extra(name, value, o) {
    if (name === '--no-build') o.build = false;
    else if (name === '--build-dir') o.buildDir = path.resolve(value());
    else if (name === '--workloads') {
      o.workloads = value().split(',').map((s) => s.trim()).filter(Boolean);
      for (const w of o.workloads)
        if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}; known: ${Object.keys(WORKLOADS).join(', ')}`);
    } else return false;
    return true;
  },
});
const { log, progress } = outputs(opts);

// ---- build ----------------------------------------------------------------
function run(cmd, args, cwd = ROOT_DIR) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: (r.stdout || '') + (r.stderr || ''), error: r.error };
}

function lastLines(s, n = 12) {
  return s.trim().split('\n').slice(-n).map((l) => '    ' + l).join('\n');
}

/** Returns {exe: {contender: path}, skipped: {contender: reason}} */
function build() {
  const exe = {}, skipped = {};
  const skipAll = (reason) => CONTENDERS.forEach((c) => (skipped[c] ??= reason));
  if (opts.build) {
    const hasCmake = run('cmake', ['--version']);
    if (!hasCmake.ok) {
      skipAll('cmake not found');
      return { exe, skipped };
    }
    progress(`building native benchmarks in ${path.relative(ROOT_DIR, opts.buildDir) || '.'} ...\n`);
    let cfg = run('cmake', ['-S', ROOT_DIR, '-B', opts.buildDir, '-DCMAKE_BUILD_TYPE=Release', '-DOFFHEAP_BUILD_TESTS=OFF']);
    let dir = opts.buildDir;
    if (!cfg.ok) {
      // The root project does not configure (e.g. the core has no sources yet):
      // build the peers standalone so they can still be measured.
      skipped.offheap = `root CMake project does not configure, offheap core unavailable:\n${lastLines(cfg.out, 6)}`;
      dir = opts.buildDir + '-peers';
      cfg = run('cmake', ['-S', path.join(BENCH_DIR, 'native'), '-B', dir, '-DCMAKE_BUILD_TYPE=Release']);
      if (!cfg.ok) {
        skipAll(`bench/native does not configure:\n${lastLines(cfg.out)}`);
        return { exe, skipped };
      }
    }
    for (const c of opts.contenders) {
      if (skipped[c]) continue;
      const target = `bench_${c}`;
      const b = run('cmake', ['--build', dir, '-j', String(Math.max(1, Math.min(2, os.cpus().length))), '--target', target]);
      if (!b.ok) {
        const notFound = /unknown target|No rule to make target/i.test(b.out);
        skipped[c] = notFound
          ? reasonMissingTarget(c, cfg.out)
          : `${target} failed to build:\n${lastLines(b.out)}`;
        continue;
      }
      exe[c] = path.join(dir, 'bench', target);
    }
    // peers-only fallback dir: remember it for --no-build runs too
  } else {
    for (const c of opts.contenders) {
      for (const dir of [opts.buildDir, opts.buildDir + '-peers']) {
        const p = path.join(dir, 'bench', `bench_${c}`);
        if (existsSync(p)) {
          exe[c] = p;
          break;
        }
      }
      if (!exe[c]) skipped[c] = `bench_${c} not built (run without --no-build)`;
    }
  }
  for (const c of opts.contenders) if (!exe[c] && !skipped[c]) skipped[c] = 'not built';
  return { exe, skipped };
}

function reasonMissingTarget(c, cfgOut) {
  const m = cfgOut.split('\n').find((l) => l.includes(`bench_${c} skipped`));
  if (m) return m.replace(/^--\s*/, '').trim();
  if (c === 'mimalloc') return 'mimalloc not found (apt-get install libmimalloc-dev)';
  if (c === 'jemalloc') return 'jemalloc not found (apt-get install libjemalloc-dev)';
  return `target bench_${c} not defined`;
}

// ---- run ------------------------------------------------------------------
function runOne(exePath, workload) {
  const w = WORKLOADS[workload];
  const args = [workload, '--ops', String(opts.quick ? w.quick : w.ops)];
  const maxS = opts.quick ? w.quickMaxSeconds : w.maxSeconds;
  if (maxS) args.push('--max-seconds', String(maxS));
  const r = spawnSync(exePath, args, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 10 * 60 * 1000 });
  if (r.status !== 0 || r.error) {
    const why = r.error ? String(r.error) : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    return { error: `${why}${r.stderr ? ': ' + r.stderr.trim().split('\n').slice(-3).join(' | ') : ''}` };
  }
  try {
    const line = r.stdout.trim().split('\n').pop();
    return JSON.parse(line);
  } catch (e) {
    return { error: `unparsable output: ${r.stdout.slice(0, 200)}` };
  }
}

/** RSS trend over a run: compares the late part to the early part, skipping warm-up. */
function rssTrend(samples) {
  if (!samples || samples.length < 8) return { verdict: 'n/a', note: 'too few samples' };
  const pts = samples.filter((s) => s[1] > 0);
  const tEnd = pts[pts.length - 1][0];
  const early = pts.filter((s) => s[0] >= 0.2 * tEnd && s[0] < 0.45 * tEnd).map((s) => s[1]);
  const late = pts.filter((s) => s[0] >= 0.75 * tEnd).map((s) => s[1]);
  if (early.length < 2 || late.length < 2) return { verdict: 'n/a', note: 'too few samples' };
  const e = median(early), l = median(late);
  const growthKib = l - e;
  // slope over everything after warm-up, MiB/s
  const w = pts.filter((s) => s[0] >= 0.2 * tEnd);
  const mx = w.reduce((a, s) => a + s[0], 0) / w.length, my = w.reduce((a, s) => a + s[1], 0) / w.length;
  const sxx = w.reduce((a, s) => a + (s[0] - mx) ** 2, 0);
  const slope = sxx ? w.reduce((a, s) => a + (s[0] - mx) * (s[1] - my), 0) / sxx : 0; // KiB per ms
  const flat = growthKib <= Math.max(2048, 0.1 * e);
  return { verdict: flat ? 'flat' : 'growing', early_kib: e, late_kib: l, growth_kib: growthKib, slope_mib_per_s: +((slope * 1000) / 1024).toFixed(2) };
}

const machine = machineInfo();
const { exe, skipped } = build();
const contenders = opts.contenders.filter((c) => exe[c]);
for (const c of opts.contenders) if (skipped[c]) progress(`skipping ${c}: ${skipped[c]}\n`);
if (!contenders.length) {
  console.error('no contender could be built; nothing to run');
  process.exit(1);
}
progress(`machine: ${machineLine(machine)}\n`);
progress(`contenders: ${contenders.join(', ')}; workloads: ${opts.workloads.join(', ')}; ${opts.reps} repetition(s)${opts.quick ? ' (quick)' : ''}\n`);

const raw = {}; // raw[workload][contender] = [result, ...]
const failures = [];
const t0 = Date.now();
for (const wl of opts.workloads) {
  raw[wl] = {};
  for (const c of contenders) raw[wl][c] = [];
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const c of contenders) {
      progress(`[${wl} ${rep + 1}/${opts.reps}] ${c.padEnd(8)} `);
      const r = runOne(exe[c], wl);
      if (r.error) {
        progress(`FAILED: ${r.error}\n`);
        failures.push({ workload: wl, contender: c, rep, error: r.error });
        continue;
      }
      if (r.free_errors) failures.push({ workload: wl, contender: c, rep, error: `${r.free_errors} frees returned an error` });
      raw[wl][c].push(r);
      progress(`${fmtNs(r.ns_per_op).padStart(9)}/op ${fmtNum(r.mops, 2).padStart(7)} Mops/s  peak ${fmtMiB(r.peak_rss_kib).padStart(6)} MiB${r.free_errors ? `  (${r.free_errors} free errors!)` : ''}\n`);
    }
  }
}
const elapsed = (Date.now() - t0) / 1000;

// ---- aggregate ------------------------------------------------------------
const summary = {};
for (const wl of opts.workloads) {
  summary[wl] = {};
  for (const c of contenders) {
    const rs = raw[wl][c];
    if (!rs.length) continue;
    const ns = rs.map((r) => r.ns_per_op);
    const medNs = median(ns);
    // the repetition closest to the median time: its RSS samples represent the run
    const repr = rs.reduce((best, r) => (Math.abs(r.ns_per_op - medNs) < Math.abs(best.ns_per_op - medNs) ? r : best), rs[0]);
    const trends = rs.map((r) => rssTrend(r.rss_samples));
    const s = {
      reps: rs.length,
      ns_per_op: medNs,
      mops: median(rs.map((r) => r.mops)),
      spread_pct: +spreadPct(ns).toFixed(1),
      peak_rss_kib: median(rs.map((r) => r.peak_rss_kib)),
      rss_live_kib: median(rs.map((r) => r.rss_live_kib)),
      ops: rs[0].ops,
      version: rs[0].version,
    };
    if (rs[0].rss_samples) {
      const flat = trends.filter((t) => t.verdict === 'flat').length, grow = trends.filter((t) => t.verdict === 'growing').length;
      s.rss_trend = flat + grow === 0 ? 'n/a' : grow > flat ? 'growing' : 'flat';
      s.rss_trend_detail = `${flat} flat / ${grow} growing of ${rs.length}`;
      s.rss_growth_kib = median(trends.map((t) => t.growth_kib));
      s.rss_slope_mib_per_s = median(trends.map((t) => t.slope_mib_per_s));
      s.rss_samples = repr.rss_samples;
    }
    if (repr.offheap_stats) s.offheap_stats = repr.offheap_stats;
    summary[wl][c] = s;
  }
  const off = summary[wl].offheap;
  if (off) {
    off.ratios = {};
    for (const c of contenders) {
      if (c === 'offheap' || !summary[wl][c]) continue;
      const p = summary[wl][c];
      // paired: offheap and the peer ran back to back in each repetition; the
      // median of the per-repetition ratios cancels slow drifts in machine load
      const a = raw[wl].offheap, b = raw[wl][c];
      const paired = median(a.slice(0, Math.min(a.length, b.length)).map((r, i) => r.ns_per_op / b[i].ns_per_op));
      off.ratios[c] = { time: off.ns_per_op / p.ns_per_op, time_paired: paired, rss: off.peak_rss_kib / p.peak_rss_kib };
    }
  }
}

// ---- targets --------------------------------------------------------------
function targets() {
  const out = [];
  const g = (wl, c) => summary[wl]?.[c];
  const add = (id, text, ok, measured) => out.push({ id, target: text, status: ok === null ? 'n/a' : ok ? 'met' : 'missed', measured });
  if (opts.workloads.includes('small')) {
    const o = g('small', 'offheap'), m = g('small', 'mimalloc');
    if (o && m) add('small', 'churn 16-4096 B: offheap <= 0.8x mimalloc ns/op', o.ns_per_op <= 0.8 * m.ns_per_op, `${fmtNs(o.ns_per_op)} vs ${fmtNs(m.ns_per_op)} = ${fmtRatio(o.ns_per_op / m.ns_per_op)}; paired ${fmtRatio(o.ratios.mimalloc.time_paired)}`);
    else add('small', 'churn 16-4096 B: offheap <= 0.8x mimalloc ns/op', null, 'offheap or mimalloc not measured');
  }
  if (opts.workloads.includes('large')) {
    const o = g('large', 'offheap'), m = g('large', 'mimalloc');
    if (o && m) {
      add('large-time', 'churn 16 B-1 MiB: offheap <= 1.0x mimalloc ns/op', o.ns_per_op <= m.ns_per_op, `${fmtNs(o.ns_per_op)} vs ${fmtNs(m.ns_per_op)} = ${fmtRatio(o.ns_per_op / m.ns_per_op)}; paired ${fmtRatio(o.ratios.mimalloc.time_paired)}`);
      add('large-rss', 'churn 16 B-1 MiB: offheap peak RSS <= 1.5x mimalloc', o.peak_rss_kib <= 1.5 * m.peak_rss_kib, `${fmtMiB(o.peak_rss_kib)} vs ${fmtMiB(m.peak_rss_kib)} MiB = ${fmtRatio(o.peak_rss_kib / m.peak_rss_kib)}`);
    } else add('large', 'churn 16 B-1 MiB vs mimalloc', null, 'offheap or mimalloc not measured');
  }
  if (opts.workloads.includes('prodcons')) {
    const o = g('prodcons', 'offheap'), m = g('prodcons', 'mimalloc');
    if (o && m) {
      add('prodcons-rate', 'producer/consumer: offheap frees/s >= mimalloc', o.mops >= m.mops, `${fmtNum(o.mops, 2)} vs ${fmtNum(m.mops, 2)} Mfrees/s = ${fmtRatio(o.mops / m.mops)}`);
      add('prodcons-rss', 'producer/consumer: offheap RSS flat', o.rss_trend === 'n/a' ? null : o.rss_trend === 'flat', `${o.rss_trend} (${o.rss_trend_detail}; growth ${fmtMiB(o.rss_growth_kib)} MiB, ${o.rss_slope_mib_per_s} MiB/s)`);
    } else add('prodcons', 'producer/consumer vs mimalloc', null, 'offheap or mimalloc not measured');
  }
  return out;
}
const targetResults = targets();

// ---- output ---------------------------------------------------------------
const tables = [];
for (const wl of opts.workloads) {
  const w = WORKLOADS[wl];
  const isPC = wl === 'prodcons', hasTrend = wl === 'prodcons' || wl === 'threads';
  const headers = ['allocator', 'ns/op', isPC ? 'Mfrees/s' : 'Mops/s', 'spread', 'peak RSS MiB', 'offheap/peer time', 'paired', 'offheap/peer RSS'];
  if (hasTrend) headers.push('RSS over time');
  const rows = [];
  const off = summary[wl].offheap;
  for (const c of contenders) {
    const s = summary[wl][c];
    if (!s) {
      rows.push([c, 'failed', '', '', '', '', '', '', ...(hasTrend ? [''] : [])]);
      continue;
    }
    const r = off?.ratios?.[c];
    const row = [c, fmtNs(s.ns_per_op), fmtNum(s.mops, 2), `${s.spread_pct.toFixed(0)}%`, fmtMiB(s.peak_rss_kib), c === 'offheap' ? '1.00x' : r ? fmtRatio(r.time) : 'n/a', c === 'offheap' ? '' : r ? fmtRatio(r.time_paired) : 'n/a', c === 'offheap' ? '1.00x' : r ? fmtRatio(r.rss) : 'n/a'];
    if (hasTrend) row.push(s.rss_trend === 'n/a' ? 'n/a' : `${s.rss_trend} (${s.rss_growth_kib >= 0 ? '+' : ''}${fmtMiB(s.rss_growth_kib)} MiB)`);
    rows.push(row);
  }
  for (const c of opts.contenders) if (skipped[c]) rows.push([c, 'skipped', '', '', '', '', '', '', ...(hasTrend ? [''] : [])]);
  tables.push({ workload: wl, title: `${w.title}: ${w.desc}`, headers, rows });
}

const text = reportText({
  tables, targets: targetResults, quick: opts.quick, failures, skipped, elapsed,
  notes: [
    'offheap/peer time = ratio of the medians (< 1: offheap faster); paired = median of the per-repetition ratios',
    '(offheap and the peer ran back to back); spread = (max-min)/median of ns/op over the repetitions.',
  ],
  failureLabel: (f) => `${f.workload}/${f.contender}`,
});
log(text.join('\n'));

machine.loadavg_end = os.loadavg().map((x) => +x.toFixed(2));
const doc = {
  suite: 'native',
  date: new Date().toISOString(),
  quick: opts.quick,
  reps: opts.reps,
  machine,
  workloads: Object.fromEntries(opts.workloads.map((w) => [w, WORKLOADS[w]])),
  contenders,
  skipped,
  summary,
  targets: targetResults,
  failures,
  markdown: tables.map((t) => `**${t.title}**\n\n${mdTable(t.headers, t.rows)}`).join('\n\n'),
  raw,
};

writeResults('native', doc, renderSvg(), opts, progress);
// offheap is what this measures: failing to build or run it fails the run (peers may be skipped)
process.exitCode = failures.length || skipped.offheap ? 1 : 0;

function renderSvg() {
  const W = 980;
  const colors = contenders.map((c) => PALETTE[CONTENDERS.indexOf(c)]);
  const groups = opts.workloads.filter((wl) => Object.keys(summary[wl]).length).map((wl) => ({ wl, label: WORKLOADS[wl].title }));
  const parts = [];
  parts.push(`<text x="10" y="22" font-size="17" font-weight="bold">offheap native benchmark: ${opts.quick ? 'QUICK SMOKE RUN, ' : ''}medians of ${opts.reps} interleaved run(s)</text>`);
  parts.push(legend({ x: 12, y: 46, series: contenders, colors }));
  let y = 56;
  parts.push(barPanel({ x: 0, y, width: W, height: 300, title: 'time per op (log scale, lower is better)', yLabel: 'ns per op', series: contenders, colors, fmt: (v) => fmtNs(v), groups: groups.map((g) => ({ label: g.label, values: Object.fromEntries(contenders.map((c) => [c, summary[g.wl][c]?.ns_per_op])) })) }));
  y += 310;
  parts.push(barPanel({ x: 0, y, width: W, height: 300, title: 'peak RSS (log scale, lower is better)', yLabel: 'MiB', series: contenders, colors, fmt: (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)), groups: groups.map((g) => ({ label: g.label, values: Object.fromEntries(contenders.map((c) => [c, summary[g.wl][c] ? summary[g.wl][c].peak_rss_kib / 1024 : NaN])) })) }));
  y += 310;
  const trendWl = ['prodcons', 'threads'].filter((wl) => summary[wl] && Object.values(summary[wl]).some((s) => s.rss_samples?.length));
  trendWl.forEach((wl, i) => {
    const lines = contenders.filter((c) => summary[wl][c]?.rss_samples).map((c, j) => ({ name: c, color: colors[contenders.indexOf(c)], points: summary[wl][c].rss_samples.map(([t, k]) => [t / 1000, k / 1024]) }));
    parts.push(linePanel({ x: (i * W) / trendWl.length, y, width: W / trendWl.length, height: 280, title: `${WORKLOADS[wl].title}: RSS over time`, yLabel: 'RSS MiB', xLabel: 'seconds', lines, fmtY: (v) => v.toFixed(0), fmtX: (v) => v.toFixed(1) }));
  });
  if (trendWl.length) y += 290;
  return svgDoc(W, y + 20, parts.join('\n'), `${machineLine(machine)} | ${new Date().toISOString().slice(0, 16)}Z`);
}
