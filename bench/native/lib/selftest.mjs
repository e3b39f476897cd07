// Negative controls, run before the program and server workloads: each check
// the measurements rely on must trip on a run that is really wrong, or the
// benchmark could not fail. Takes about a second.
//   corrupt blocks   larson under bench/native/selftest/bad_malloc.c (hands a
//                    live block out twice) must be reported as corrupt
//   wrong allocator  mstress run as "glibc" while another allocator is
//                    preloaded must be caught by its malloc_from check
//   output mismatch  a program whose output depends on the allocator must be
//                    caught by compareOutputs
//   crash            a child killed by a signal must be reported
import { WORKLOADS } from './workloads.mjs';
import { runPreloaded, compareOutputs } from './measure.mjs';

const echoPreload = { kind: 'program', program: '/bin/sh', args: () => ['-c', 'echo "preload=${LD_PRELOAD:-none}"'] };
const crash = { kind: 'program', program: '/bin/sh', args: () => ['-c', 'kill -SEGV $$'] };

/** Returns a list of problems (empty: every control tripped). */
export function selfTest({ tools, preload, tmpDir }) {
  const problems = [];
  const run = (contender, lib, w) => runPreloaded({ runner: tools.bench_runner, tmpDir, contender, preload: lib, w, quick: true, threads: 2, exe: tools[w.exe] });
  const expectError = (name, r, re) => {
    if (!r.error) problems.push(`${name}: the run was accepted`);
    else if (!re.test(r.error)) problems.push(`${name}: failed for another reason: ${r.error}`);
  };
  expectError('corrupt blocks (bad_malloc under larson)', run('glibc', tools['libbench_bad_malloc.so'], WORKLOADS.larson), /corrupt blocks/);
  const other = Object.values(preload).find(Boolean) || tools['libbench_bad_malloc.so'];
  expectError('wrong allocator (mstress as glibc with a preload)', run('glibc', other, WORKLOADS.mstress), /malloc resolved to/);
  const a = run('glibc', null, echoPreload), b = run('glibc', other, echoPreload);
  if (a.error || b.error) problems.push(`output mismatch: the control runs failed: ${a.error || b.error}`);
  else {
    const cmp = compareOutputs({ glibc: [{ rep: 0, sha: a.output_sha256, output: a.output }], other: [{ rep: 0, sha: b.output_sha256, output: b.output }] });
    if (cmp.mismatches.length !== 1) problems.push('output mismatch: two different outputs were accepted as equal');
  }
  expectError('crash (a child killed by SIGSEGV)', run('glibc', null, crash), /signal 11/);
  return problems;
}
