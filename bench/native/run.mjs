#!/usr/bin/env node
// Native allocator benchmark driver: `npm run bench:native [-- options]`.
//
// Three kinds of workloads (bench/native/lib/workloads.mjs):
//   harness  bench/native/harness.c, one executable per contender calling its
//            API directly: churn, producer/consumer, thread churn, memory fit
//   program  sqlite3, node and python3 scripts (bench/native/programs/), each
//            run under every allocator through LD_PRELOAD; output must equal
//            glibc's
//   server   clean-room larson, mstress and xmalloc-style programs
//            (bench/native/server/), plain malloc/free under LD_PRELOAD
// Programs and servers run through bench_runner (bench/native/runner.c), which
// measures the child's wall time and peak RSS (wait4). Every workload runs its
// contenders interleaved (A B C D, A B C D, ...); the driver takes medians,
// prints tables, and writes bench/results/<date>-native.json and
// bench/results/native.svg.
//
// Options:
//   --quick             tiny sizes, 1 repetition (CI smoke: well under a minute);
//                       results go to bench/results/quick/ so committed results stay put
//   --json              print the result document as JSON on stdout (tables go to stderr)
//   --workloads a,b     subset of the workloads (default: all; see --help)
//   --contenders a,b    subset of: offheap, mimalloc, jemalloc, glibc
//   --reps N            repetitions (default 5; --quick: 1)
//   --threads N         threads of larson, mstress and xmalloc (default 2; mstress8 stays 8)
//   --no-build          use what is already built
//   --build-dir DIR     CMake build tree (default build-bench/: node-gyp rebuild wipes build/)
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT_DIR, fmtNs, fmtNum, fmtMiB, mdTable, machineInfo, machineLine, writeResults, parseBenchArgs, outputs, reportText,
} from '../lib/common.mjs';
import { WORKLOADS, WORKLOAD_NAMES } from './lib/workloads.mjs';
import { CONTENDERS, buildAll } from './lib/build.mjs';
import { runHarness, runPreloaded, compareOutputs } from './lib/measure.mjs';
import { summarize, tableFor, targetsFor, renderSvg } from './lib/report.mjs';
import { selfTest } from './lib/selftest.mjs';

// ---- options --------------------------------------------------------------
const opts = parseBenchArgs(process.argv.slice(2), {
  defaults: { workloads: WORKLOAD_NAMES, build: true, buildDir: path.join(ROOT_DIR, 'build-bench'), threads: 2 },
  contenders: CONTENDERS,
  usage: `usage: npm run bench:native -- [--quick] [--json] [--workloads ${WORKLOAD_NAMES.join(',')}] [--contenders ${CONTENDERS.join(',')}] [--reps N] [--threads N] [--no-build] [--build-dir DIR]`,
  extra(name, value, o) {
    if (name === '--no-build') o.build = false;
    else if (name === '--build-dir') o.buildDir = path.resolve(value());
    else if (name === '--threads') {
      const v = value();
      o.threads = Number(v);
      if (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > 256) throw new Error(`--threads must be an integer in 1..256, got ${v}`);
    } else if (name === '--workloads') {
      o.workloads = value().split(',').map((s) => s.trim()).filter(Boolean);
      for (const w of o.workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}; known: ${WORKLOAD_NAMES.join(', ')}`);
    } else return false;
    return true;
  },
});
const { log, progress } = outputs(opts);
// LD_PRELOAD and wait4's ru_maxrss in KiB are Linux's: elsewhere only the harness runs
if (process.platform !== 'linux') {
  const preloaded = opts.workloads.filter((wl) => WORKLOADS[wl].kind !== 'harness');
  if (opts.workloads !== WORKLOAD_NAMES && preloaded.length) {
    console.error(`${preloaded.join(', ')}: the LD_PRELOAD workloads need Linux`);
    process.exit(1);
  }
  opts.workloads = opts.workloads.filter((wl) => WORKLOADS[wl].kind === 'harness');
  progress(`${process.platform}: running the harness workloads only (the program and server workloads need Linux's LD_PRELOAD)\n`);
}
const kinds = new Set(opts.workloads.map((w) => WORKLOADS[w].kind));

// ---- build ----------------------------------------------------------------
const machine = machineInfo();
const built = buildAll({ ...opts, needHarness: kinds.has('harness'), needPrograms: kinds.has('program') || kinds.has('server'), progress });
const skippedFor = (w) => (w.kind === 'harness' ? built.skipped : built.skippedPrograms);
const contendersFor = (w) => opts.contenders.filter((c) => (w.kind === 'harness' ? built.harness[c] : !built.toolsMissing && c in built.preload));
const failures = [];
const skipped = {};
for (const wl of opts.workloads) for (const [c, why] of Object.entries(skippedFor(WORKLOADS[wl]))) skipped[`${c}${WORKLOADS[wl].kind === 'harness' ? '' : ' (LD_PRELOAD)'}`] = why;
if (built.toolsMissing) failures.push({ workload: 'programs', contender: 'all', rep: 0, error: built.toolsMissing });
for (const [c, why] of Object.entries(skipped)) progress(`skipping ${c}: ${why}\n`);
// a program workload needs its program; a missing one fails the run (CI installs them)
const missingProgram = (w) => w.kind === 'program' && !isExecutable(w.program);
for (const wl of opts.workloads) if (missingProgram(WORKLOADS[wl])) failures.push({ workload: wl, contender: 'all', rep: 0, error: `${WORKLOADS[wl].program} not found (apt-get install ${path.basename(WORKLOADS[wl].program)})` });
progress(`machine: ${machineLine(machine)}\n`);
progress(`workloads: ${opts.workloads.join(', ')}; ${opts.reps} repetition(s)${opts.quick ? ' (quick)' : ''}\n`);

function isExecutable(p) {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ---- run ------------------------------------------------------------------
const raw = {}; // raw[workload][contender] = [result, ...]
const outputs0 = {}; // program workloads: the first output of each contender, for the report
const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'offheap-bench-'));
const t0 = Date.now();
try {
  if ((kinds.has('program') || kinds.has('server')) && !built.toolsMissing) {
    progress('self-test: corrupt blocks, wrong allocator, output mismatch and crashes must be caught ... ');
    const problems = selfTest({ tools: built.tools, preload: built.preload, tmpDir });
    progress(problems.length ? `FAILED\n${problems.map((p) => `  ${p}\n`).join('')}` : 'ok\n');
    for (const p of problems) failures.push({ workload: 'self-test', contender: 'all', rep: 0, error: p });
  }
  for (const wl of opts.workloads) {
    const w = WORKLOADS[wl];
    const contenders = missingProgram(w) ? [] : contendersFor(w);
    const threads = w.fixedThreads ?? opts.threads;
    const reps = w.reps ?? opts.reps;
    raw[wl] = Object.fromEntries(contenders.map((c) => [c, []]));
    const outs = {}; // contender -> [{rep, sha, output}]
    for (let rep = 0; rep < reps; rep++) {
      for (const c of contenders) {
        progress(`[${wl} ${rep + 1}/${reps}] ${c.padEnd(8)} `);
        const r = w.kind === 'harness'
          ? runHarness(built.harness[c], wl, w, opts.quick)
          : runPreloaded({ runner: built.tools.bench_runner, tmpDir, contender: c, preload: built.preload[c], w, quick: opts.quick, threads, exe: built.tools[w.exe] });
        if (r.error) {
          progress(`FAILED: ${r.error}\n`);
          failures.push({ workload: wl, contender: c, rep, error: r.error });
          continue;
        }
        if (r.free_errors) failures.push({ workload: wl, contender: c, rep, error: `${r.free_errors} frees returned an error` });
        if (r.output !== undefined) {
          (outs[c] ??= []).push({ rep, sha: r.output_sha256, output: r.output });
          delete r.output;
        }
        raw[wl][c].push(r);
        progress(describe(w, r) + '\n');
      }
    }
    if (w.kind === 'program') checkOutputs(wl, outs);
  }
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}
const elapsed = (Date.now() - t0) / 1000;

function describe(w, r) {
  if (w.kind === 'harness' && r.fit) return Object.entries(r.fit).map(([k, v]) => `${k} ${v.toFixed(3)}x`).join('  ');
  if (w.kind === 'harness') return `${fmtNs(r.ns_per_op).padStart(9)}/op ${fmtNum(r.mops, 2).padStart(7)} Mops/s  peak ${fmtMiB(r.peak_rss_kib).padStart(6)} MiB${r.free_errors ? `  (${r.free_errors} free errors!)` : ''}`;
  const main = w.metric.better === 'higher' ? `${fmtNum(r[w.metric.key], 2).padStart(7)} ${w.metric.label}` : `${r[w.metric.key].toFixed(3).padStart(7)} s`;
  return `${main}  wall ${r.wall_s.toFixed(2)} s  peak ${fmtMiB(r.peak_rss_kib).padStart(6)} MiB`;
}

/** a run whose output differs from glibc's is a failure and leaves the medians */
function checkOutputs(wl, outs) {
  const cmp = compareOutputs(outs);
  if (!cmp) return;
  const { mismatches, ...ref } = cmp;
  outputs0[wl] = ref;
  for (const m of mismatches) {
    failures.push({ workload: wl, contender: m.contender, rep: m.rep, error: m.error });
    raw[wl][m.contender] = raw[wl][m.contender].filter((r) => r.output_sha256 !== m.sha);
  }
}

// ---- aggregate, report ----------------------------------------------------
const summaries = {};
for (const wl of opts.workloads) summaries[wl] = summarize(wl, WORKLOADS[wl], raw[wl], Object.keys(raw[wl]));
const targets = targetsFor(opts.workloads, summaries, WORKLOADS);
const tables = opts.workloads.map((wl) => {
  const w = WORKLOADS[wl];
  const threads = w.kind === 'server' ? ` [${w.fixedThreads ?? (wl === 'xmalloc' && opts.threads % 2 ? opts.threads + 1 : opts.threads)} threads]` : '';
  return tableFor(wl, w, summaries[wl], Object.keys(raw[wl]), skippedFor(w), threads);
});

const text = reportText({
  tables, targets, quick: opts.quick, failures, skipped, elapsed,
  notes: [
    'Harness workloads: offheap/peer time = ratio of the medians (< 1: offheap faster); paired = median of the per-repetition',
    'ratios (offheap and the peer ran back to back); spread = (max-min)/median over the repetitions.',
    'Programs and server workloads: every contender against mimalloc, same run (time: < 1 is faster; rates: > 1 is more',
    'throughput); time and peak RSS of the whole child process, measured by bench_runner (wait4).',
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
  threads: opts.threads,
  machine,
  workloads: Object.fromEntries(opts.workloads.map((wl) => {
    const { args, ...w } = WORKLOADS[wl];
    if (args) w.argv = [w.program ?? w.exe, ...args(opts.quick, w.fixedThreads ?? opts.threads)].map((a) => String(a).replace(ROOT_DIR + '/', ''));
    return [wl, w];
  })),
  contenders: opts.contenders,
  preload: Object.fromEntries(Object.entries(built.preload).map(([c, p]) => [c, p && p.replace(ROOT_DIR + '/', '')])),
  skipped,
  summary: summaries,
  targets,
  failures,
  program_outputs: outputs0,
  markdown: tables.map((t) => `**${t.title}**\n\n${mdTable(t.headers, t.rows)}`).join('\n\n'),
  raw,
};

writeResults('native', doc, renderSvg({ names: opts.workloads, summaries, WORKLOADS, quick: opts.quick, reps: opts.reps, machine }), opts, progress);
// offheap is what this measures: failing to build or run it fails the run (peers may be skipped)
process.exitCode = failures.length || skipped.offheap || skipped['offheap (LD_PRELOAD)'] ? 1 : 0;
