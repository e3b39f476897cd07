// Blocks over 4 GiB (issue 10 #6). Node 20 cannot make an ArrayBuffer over
// 4 GiB (buffer.constants.MAX_LENGTH): such requests are refused before
// anything is allocated, with a RangeError naming the limit. Node >= 22
// makes them one view: the tests map 4-8 GiB but touch only a few pages.
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_MAJOR, live, oh } from './helpers';

const GiB = 2 ** 30;
const KiB = 1024;

function counters(): { allocCount: number; bytesLive: number; bytesMapped: number } {
  const s = oh.stats();
  return { allocCount: s.allocCount, bytesLive: s.bytesLive, bytesMapped: s.bytesMapped };
}

describe('blocks over 4 GiB', () => {
  afterEach(() => oh.configure({ checked: false }));

  it.runIf(NODE_MAJOR < 22)('Node 20: refused before allocating, with a RangeError naming the limit (fast and checked)', () => {
    for (const checked of [false, true]) {
      oh.configure({ checked });
      const before = counters();
      for (const f of [() => oh.alloc(4 * GiB + 64 * KiB), () => oh.allocZeroed(4 * GiB + 1), () => oh.allocArray(Float64Array, 2 ** 30)]) {
        let err: (Error & { code?: string }) | undefined;
        try {
          f();
        } catch (e) {
          err = e as Error & { code?: string };
        }
        expect(err).toBeInstanceOf(RangeError);
        expect(err!.code).toBe('ERR_OUT_OF_RANGE');
        expect(err!.message).toContain('4294967296');
        expect(err!.message).toContain('MAX_LENGTH');
      }
      expect(counters()).toEqual(before); // nothing allocated, nothing mapped
    }
  });

  it.runIf(NODE_MAJOR >= 22)('Node >= 22: alloc(4 GiB + 64 KiB) is one view over one block', () => {
    const before = live();
    const n = 4 * GiB + 64 * KiB;
    const v = oh.alloc(n);
    expect(v.length).toBe(n);
    v[0] = 1;
    v[4 * GiB] = 2;
    v[n - 1] = 3;
    expect([v[0], v[4 * GiB], v[n - 1]]).toEqual([1, 2, 3]);
    expect(live() - before).toBeGreaterThanOrEqual(n);
    const h = oh.adopt(oh.handleOf(v));
    expect(h.length).toBe(n);
    expect(h[n - 1]).toBe(3);
    oh.free(h);
    expect(live()).toBe(before);
  });

  it.runIf(NODE_MAJOR >= 22)('Node >= 22: allocArray(Float64Array, 2^30) (8 GiB) and checked mode work', () => {
    const before = live();
    const f = oh.allocArray(Float64Array, 2 ** 30);
    expect(f.length).toBe(2 ** 30);
    f[2 ** 30 - 1] = 1.5;
    expect(f[2 ** 30 - 1]).toBe(1.5);
    oh.free(f);
    oh.configure({ checked: true });
    const c = oh.alloc(4 * GiB + 64 * KiB);
    expect(c.buffer.byteLength).toBe(4 * GiB + 64 * KiB);
    c[c.length - 1] = 9;
    expect(c[c.length - 1]).toBe(9);
    oh.free(c);
    expect(c.length).toBe(0);
    expect(live()).toBe(before);
  });
});
