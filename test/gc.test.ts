import { describe, expect, it } from 'vitest';
import { collectGarbage, live, oh } from './helpers';

const MiB = 1 << 20;
const reportKeys = ['slabBlocksFlushed', 'remoteDrained', 'heapsAdopted', 'bytesReleased', 'bytesUnmapped', 'poolsUnmapped', 'hugeUnmapped'] as const;

describe('gc', () => {
  it('returns a report with every field', () => {
    const r = oh.gc();
    for (const k of reportKeys) {
      expect(typeof r[k], k).toBe('number');
      expect(r[k]).toBeGreaterThanOrEqual(0);
    }
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

  it('never unmaps memory a stale view still references (reading it does not crash)', async () => {
    const h = oh.alloc(40 * MiB);
    const p = oh.alloc(2 * MiB);
    h.fill(9);
    p.fill(9);
    oh.free(h);
    oh.free(p);
    oh.gc();
    await collectGarbage();
    oh.gc();
    // h and p are still referenced: their ranges must still be mapped.
    let sum = 0;
    for (let i = 0; i < h.length; i += 4096) sum += h[i]!;
    for (let i = 0; i < p.length; i += 4096) sum += p[i]!;
    // (no writes: in fast mode a freed block holds the allocator's free-list
    // links, so writing through a stale view corrupts the heap, as in C)
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(h.length).toBe(40 * MiB);
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
