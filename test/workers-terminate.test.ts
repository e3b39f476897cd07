// Item: no native call may abort the process, including while a worker is
// being terminated or the process exits (issue 10 #1). Every scenario runs in
// its own child process so one abort does not hide the others.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST, ROOT } from './helpers';

const fixture = join(ROOT, 'test/fixtures/terminate.cjs');

function run(how: 'terminate' | 'exit', rounds: number): { status: number | null; signal: string | null; out: string } {
  const r = spawnSync(process.execPath, [fixture, DIST, how, String(rounds)], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, out: r.stdout + r.stderr };
}

describe('workers ended in the middle of offheap calls', () => {
  it('worker.terminate() during stats/getConfig/gc/20 MiB alloc/checked alloc/handleOf+adopt never aborts (3 processes x 8 rounds)', () => {
    for (let p = 0; p < 3; p++) {
      const r = run('terminate', 8);
      expect(r.out, `child ${p}`).not.toMatch(/terminate called|Napi::Error|Aborted|FATAL/);
      expect({ status: r.status, signal: r.signal }, r.out).toEqual({ status: 0, signal: null });
      expect(r.out.trim()).toBe('ok');
    }
  }, 300_000);

  it('process.exit(7) while workers loop on offheap calls exits with 7 (6 processes)', () => {
    for (let p = 0; p < 6; p++) {
      const r = run('exit', 1);
      expect({ status: r.status, signal: r.signal }, r.out).toEqual({ status: 7, signal: null });
    }
  }, 300_000);
});
