// Runs one measurement: a harness executable, or a program / server workload
// through bench_runner under one allocator's LD_PRELOAD. Returns the parsed
// result or {error}.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { median } from '../../lib/common.mjs';
import { MALLOC_FROM } from './build.mjs';

function failure(r, what, stderr = r.stderr) {
  const why = r.error ? String(r.error) : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
  return { error: `${what}: ${why}${stderr ? ': ' + stderr.trim().split('\n').slice(-3).join(' | ') : ''}` };
}

/** harness.c: bench_<contender> <workload> --ops N [--max-seconds T]; one JSON line on stdout */
export function runHarness(exe, name, w, quick) {
  const args = [name, '--ops', String(quick ? w.quick : w.ops)];
  const maxS = quick ? w.quickMaxSeconds : w.maxSeconds;
  if (maxS) args.push('--max-seconds', String(maxS));
  const r = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 10 * 60 * 1000 });
  if (r.status !== 0 || r.error) return failure(r, path.basename(exe));
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { error: `unparsable output: ${r.stdout.slice(0, 200)}` };
  }
}

/**
 * A program or server workload under one allocator, through bench_runner:
 * wall time and peak RSS of the child (wait4). Program workloads return the
 * child's stdout (compared with glibc's by the caller); server workloads
 * print one JSON line, merged into the result, and must report the expected
 * allocator in `malloc_from` and no corrupt block.
 */
export function runPreloaded({ runner, tmpDir, contender, preload, w, quick, threads, exe }) {
  const outFile = path.join(tmpDir, 'stdout'), errFile = path.join(tmpDir, 'stderr');
  const program = w.kind === 'server' ? exe : w.program;
  const args = ['--stdout', outFile, '--stderr', errFile, '--timeout', quick ? '120' : '900'];
  if (preload) args.push('--preload', preload);
  for (const e of w.env || []) args.push('--env', e);
  args.push('--', program, ...w.args(quick, threads));
  const r = spawnSync(runner, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0 || r.error) return failure(r, 'bench_runner');
  let m;
  try {
    m = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { error: `bench_runner: unparsable output: ${r.stdout.slice(0, 200)}` };
  }
  const out = readFileSync(outFile, 'utf8');
  const err = readFileSync(errFile, 'utf8');
  const tail = err.trim() ? `: ${err.trim().split('\n').slice(-3).join(' | ')}` : '';
  if (m.timed_out) return { error: `timed out${tail}` };
  if (m.signal) return { error: `killed by signal ${m.signal}${tail}` };
  if (/cannot be preloaded/.test(err)) return { error: `LD_PRELOAD failed${tail}` };
  const res = { wall_s: m.wall_s, cpu_s: m.user_s + m.sys_s, peak_rss_kib: m.maxrss_kib };
  if (w.kind === 'program') {
    if (m.exit_code !== 0) return { error: `${path.basename(program)} exited with ${m.exit_code}${tail}` };
    res.output_sha256 = createHash('sha256').update(out).digest('hex');
    res.output = out;
    return res;
  }
  let s;
  try {
    s = JSON.parse(out.trim().split('\n').pop());
  } catch {
    return { error: `${path.basename(program)} exited with ${m.exit_code}, unparsable output: ${out.slice(0, 200)}${tail}` };
  }
  if (s.corrupt) return { error: `${s.corrupt} corrupt blocks (handed out twice or overwritten while live)` };
  if (m.exit_code !== 0) return { error: `${path.basename(program)} exited with ${m.exit_code}${tail}` };
  if (s.malloc_from !== MALLOC_FROM[contender])
    return { error: `malloc resolved to ${s.malloc_from}, expected ${MALLOC_FROM[contender]} (LD_PRELOAD not in effect)` };
  return { ...s, ...res };
}

/**
 * Program outputs of one workload, outs: {contender: [{rep, sha, output}]}.
 * The reference is glibc's first run (the first contender's when glibc did
 * not run); every other run, glibc's own included, must print the same.
 * Returns {reference, sha, output, mismatches: [{contender, rep, sha, error}]}.
 */
export function compareOutputs(outs) {
  const refC = outs.glibc?.length ? 'glibc' : Object.keys(outs).find((c) => outs[c].length);
  if (!refC) return null;
  const ref = outs[refC][0];
  const mismatches = [];
  for (const [c, list] of Object.entries(outs)) {
    for (const o of list) {
      if (o.sha === ref.sha) continue;
      const a = o.output.split('\n'), b = ref.output.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      const line = i < 0 ? b.length + 1 : i + 1;
      mismatches.push({ contender: c, rep: o.rep, sha: o.sha, error: `output differs from ${refC}'s at line ${line}: ${JSON.stringify((a[line - 1] ?? '').slice(0, 120))} vs ${JSON.stringify((b[line - 1] ?? '').slice(0, 120))}` });
    }
  }
  return { reference: refC, sha256: ref.sha, output: ref.output, mismatches };
}

/** RSS trend over a run: compares the late part to the early part, skipping warm-up. */
export function rssTrend(samples) {
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
