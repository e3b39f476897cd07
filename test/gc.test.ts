import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, ROOT, collectGarbage, live, oh } from './helpers';

const MiB = 1 << 20;
const reportKeys = ['slabBlocksFlushed', 'remoteDrained', 'heapsAdopted', 'bytesReleased', 'bytesUnmapped', 'poolsUnmapped', 'hugeUnmapped'] as const;

describe('gc', () => {
  it('returns a report with every field', () => {
    const r = oh.gc();
    expect(Object.keys(r).sort()).toEqual([...reportKeys].sort());
    for (const k of reportKeys) expect(Number.isSafeInteger(r[k]) && r[k] >= 0, `${k} = ${r[k]}`).toBe(true);
  });

  it('flushes slab caches: cached bytes go to zero and the report counts them', () => {
    const xs = Array.from({ length: 300 }, () => oh.alloc(256));
    xs.forEach((x) => oh.free(x));
    const s0 = oh.stats();
    expect(s0.bytesCached).toBeGreaterThan(0);
    const r = oh.gc();
    expect(r.slabBlocksFlushed).toBeGreaterThan(0);
    expect(oh.stats().bytesCached).toBe(0);
  });

  it('releases memory of large free blocks and unmaps huge blocks no view references', async () => {
    oh.gc();
    (() => {
      const h = oh.alloc(48 * MiB);
      for (let i = 0; i < h.length; i += 4096) h[i] = 1;
      oh.free(h);
      const m = oh.alloc(8 * MiB);
      m.fill(1);
      oh.free(m);
    })();
    await collectGarbage(); // the huge block's buffer is gone: unpinned
    const r1 = oh.gc();
    const r2 = oh.gc();
    expect(r1.bytesReleased + r1.bytesUnmapped + r2.bytesReleased + r2.bytesUnmapped).toBeGreaterThanOrEqual(8 * MiB);
    expect(oh.stats().hugeCount).toBe(0);
  });

  it('never unmaps memory a stale view still references (still mapped, reading it does not crash)', () => {
    // In a child process: if the range were unmapped, the read would kill it.
    const r = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'test/fixtures/stale-view.cjs'), DIST], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, signal: r.signal }, r.stdout + r.stderr).toEqual({ status: 0, signal: null });
    expect(JSON.parse(r.stdout.trim())).toEqual({
      hugeMapped: true,
      poolMapped: true,
      pagesRead: (40 * MiB + 2 * MiB) / 4096,
      lengths: [40 * MiB, 2 * MiB],
      sumIsNumber: true,
    });
  });

  it('keeps live blocks intact across gc', () => {
    const before = live();
    const xs = Array.from({ length: 100 }, (_, i) => oh.alloc(1 + i * 333).fill(i));
    oh.gc();
    xs.forEach((x, i) => expect(x.every((b) => b === i)).toBe(true));
    xs.forEach((x) => oh.free(x));
    expect(live()).toBe(before);
  });
});

describe('stats scope', () => {
  it("'process' covers at least this thread; anything else is a TypeError", () => {
    const v = oh.alloc(4096);
    const t = oh.stats('thread');
    const p = oh.stats('process');
    expect(p.bytesLive).toBeGreaterThanOrEqual(t.bytesLive);
    expect(p.allocCount).toBeGreaterThanOrEqual(t.allocCount);
    expect(p.heapsLive).toBeGreaterThanOrEqual(1);
    expect(oh.stats()).toEqual(oh.stats('thread'));
    for (const bad of ['global', 'THREAD', 1, null, {}]) expect(() => oh.stats(bad as never)).toThrow(TypeError);
    oh.free(v);
  });
});
