// Builds what the selected workloads need in the CMake tree and finds the
// preload libraries:
//   harness workloads  bench_<contender>, one executable per contender
//   program / server   bench_runner, bench_larson, bench_mstress, bench_xmalloc,
//                      and per contender the library LD_PRELOAD gets: none for
//                      glibc, Debian's libmimalloc.so.2 / libjemalloc.so.2,
//                      and liboffheap.so (root target offheap_malloc,
//                      <build dir>/lib/liboffheap.so)
// A contender that cannot be built or found is skipped with the reason.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, ROOT_DIR } from '../../lib/common.mjs';

export const CONTENDERS = ['offheap', 'mimalloc', 'jemalloc', 'glibc'];
const SERVER_EXES = ['bench_runner', 'bench_larson', 'bench_mstress', 'bench_xmalloc', 'libbench_bad_malloc.so'];
const PEER_LIBS = { mimalloc: 'libmimalloc.so.2', jemalloc: 'libjemalloc.so.2' };
/** the shared object each contender's malloc must resolve to (checked by the server workloads) */
export const MALLOC_FROM = { offheap: 'liboffheap.so', mimalloc: 'libmimalloc.so.2', jemalloc: 'libjemalloc.so.2', glibc: 'libc.so.6' };

function run(cmd, args, cwd = ROOT_DIR) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: (r.stdout || '') + (r.stderr || ''), error: r.error };
}

function lastLines(s, n = 12) {
  return s.trim().split('\n').slice(-n).map((l) => '    ' + l).join('\n');
}

/** a path for messages: relative inside the repository, absolute outside */
const show = (p) => (p.startsWith(ROOT_DIR + path.sep) ? path.relative(ROOT_DIR, p) : p);

const jobs = () => String(Math.max(1, Math.min(2, os.cpus().length)));

/** The peer's shared library as the dynamic linker knows it (ldconfig), else the usual Debian paths. */
function findPeerLib(c) {
  const name = PEER_LIBS[c];
  const ld = run('/sbin/ldconfig', ['-p']);
  const line = ld.ok && ld.out.split('\n').find((l) => l.trim().startsWith(name + ' ') && l.includes(`(libc6,${process.arch === 'arm64' ? 'AArch64' : 'x86-64'}`));
  const candidates = [line?.split('=>')[1]?.trim(), ...['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib'].map((d) => path.join(d, name))];
  return candidates.find((p) => p && existsSync(p)) || null;
}

/**
 * opts: {build, buildDir, contenders, needHarness, needPrograms, progress}
 * Returns {harness: {c: exe}, preload: {c: lib|null}, tools: {name: exe},
 *          skipped: {c: reason}, skippedPrograms: {c: reason}, toolsMissing: reason|null}
 */
export function buildAll(opts) {
  const res = { harness: {}, preload: {}, tools: {}, skipped: {}, skippedPrograms: {}, toolsMissing: null };
  let dir = opts.buildDir;
  let rootOk = true;
  if (opts.build) {
    if (!run('cmake', ['--version']).ok) {
      for (const c of opts.contenders) res.skipped[c] = res.skippedPrograms[c] = 'cmake not found';
      res.toolsMissing = 'cmake not found';
      return res;
    }
    opts.progress(`building native benchmarks in ${show(opts.buildDir)} ...\n`);
    let cfg = run('cmake', ['-S', ROOT_DIR, '-B', opts.buildDir, '-DCMAKE_BUILD_TYPE=Release', '-DOFFHEAP_BUILD_TESTS=OFF']);
    if (!cfg.ok) {
      // The root project does not configure (e.g. the core has no sources yet):
      // build the peers standalone so they can still be measured.
      rootOk = false;
      const why = `root CMake project does not configure, offheap core unavailable:\n${lastLines(cfg.out, 6)}`;
      res.skipped.offheap = res.skippedPrograms.offheap = why;
      dir = opts.buildDir + '-peers';
      cfg = run('cmake', ['-S', path.join(BENCH_DIR, 'native'), '-B', dir, '-DCMAKE_BUILD_TYPE=Release']);
      if (!cfg.ok) {
        const why2 = `bench/native does not configure:\n${lastLines(cfg.out)}`;
        for (const c of opts.contenders) res.skipped[c] ??= why2, res.skippedPrograms[c] ??= why2;
        res.toolsMissing = why2;
        return res;
      }
    }
    const target = (t) => run('cmake', ['--build', dir, '-j', jobs(), '--target', t]);
    const missing = (out) => /unknown target|No rule to make target/i.test(out);
    if (opts.needHarness) {
      for (const c of opts.contenders) {
        if (res.skipped[c]) continue;
        const b = target(`bench_${c}`);
        if (b.ok) res.harness[c] = path.join(dir, 'bench', `bench_${c}`);
        else res.skipped[c] = missing(b.out) ? reasonMissingTarget(c, cfg.out) : `bench_${c} failed to build:\n${lastLines(b.out)}`;
      }
    }
    if (opts.needPrograms) {
      const b = target('bench_programs');
      if (!b.ok) res.toolsMissing = `bench_programs (runner and server workloads) failed to build:\n${lastLines(b.out)}`;
      if (opts.contenders.includes('offheap') && rootOk) {
        const lib = target('offheap_malloc');
        if (!lib.ok)
          res.skippedPrograms.offheap = missing(lib.out)
            ? 'the root CMakeLists defines no offheap_malloc target (liboffheap.so), so offheap cannot be preloaded'
            : `offheap_malloc (liboffheap.so) failed to build:\n${lastLines(lib.out)}`;
      }
    }
  } else if (!existsSync(path.join(dir, 'CMakeCache.txt')) && existsSync(path.join(opts.buildDir + '-peers', 'CMakeCache.txt'))) {
    dir = opts.buildDir + '-peers';
  }

  if (opts.needHarness) {
    for (const c of opts.contenders) {
      if (res.harness[c] || res.skipped[c]) continue;
      const p = path.join(dir, 'bench', `bench_${c}`);
      if (existsSync(p)) res.harness[c] = p;
      else res.skipped[c] = `bench_${c} not built (run without --no-build)`;
    }
  }
  if (opts.needPrograms) {
    for (const t of SERVER_EXES) {
      const p = path.join(dir, 'bench', t);
      if (existsSync(p)) res.tools[t] = p;
      else res.toolsMissing ??= `${t} not built${opts.build ? '' : ' (run without --no-build)'}`;
    }
    for (const c of opts.contenders) {
      if (res.skippedPrograms[c]) continue;
      if (c === 'glibc') res.preload[c] = null;
      else if (c === 'offheap') {
        const lib = path.join(dir, 'lib', 'liboffheap.so');
        if (existsSync(lib)) res.preload[c] = lib;
        else res.skippedPrograms[c] = `${show(lib)} not found (target offheap_malloc${opts.build ? ' did not produce it' : ' not built: run without --no-build'})`;
      } else {
        const lib = findPeerLib(c);
        if (lib) res.preload[c] = lib;
        else res.skippedPrograms[c] = `${PEER_LIBS[c]} not found (apt-get install lib${c}-dev)`;
      }
    }
  }
  return res;
}

function reasonMissingTarget(c, cfgOut) {
  const m = cfgOut.split('\n').find((l) => l.includes(`bench_${c} skipped`));
  if (m) return m.replace(/^--\s*/, '').trim();
  if (c === 'mimalloc') return 'mimalloc not found (apt-get install libmimalloc-dev)';
  if (c === 'jemalloc') return 'jemalloc not found (apt-get install libjemalloc-dev)';
  return `target bench_${c} not defined`;
}
