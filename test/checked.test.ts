import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGarbage, expectOffheapError, live, oh } from './helpers';

describe('checked mode', () => {
  beforeEach(() => oh.configure({ checked: true }));
  afterEach(() => oh.configure({ checked: false }));

  it('gives every block its own ArrayBuffer of exactly the requested size', () => {
    expect(oh.getConfig().checked).toBe(true);
    const before = live();
    const v = oh.alloc(100);
    expect(v.buffer.byteLength).toBe(100);
    expect(v.byteOffset).toBe(0);
    expect(live() - before).toBe(128);
    v.fill(7);
    const w = oh.alloc(100);
    expect(w.buffer).not.toBe(v.buffer);
    oh.free(v);
    oh.free(w);
    expect(live()).toBe(before);
  });

  it('detaches on free: stale views have length 0, reads are undefined, writes are ignored', () => {
    const v = oh.alloc(64);
    const alias = new Uint32Array(v.buffer);
    v.fill(1);
    oh.free(v);
    expect(v.length).toBe(0);
    expect(v.byteLength).toBe(0);
    expect(v.buffer.byteLength).toBe(0);
    expect(alias.length).toBe(0);
    expect(v[0]).toBeUndefined();
    v[0] = 5;
    expect(v[0]).toBeUndefined();
    expect(() => v.fill(0)).toThrow(TypeError);
    expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_INVALID_FREE');
  });

  it('allocZeroed and allocArray work and zero/type correctly', () => {
    const d = oh.alloc(256);
    d.fill(0xff);
    oh.free(d);
    const z = oh.allocZeroed(256);
    expect(z.every((b) => b === 0)).toBe(true);
    const f = oh.allocArray(BigInt64Array, 10);
    expect(f.buffer.byteLength).toBe(80);
    f[9] = -5n;
    expect(new DataView(f.buffer).getBigInt64(72, true)).toBe(-5n);
    oh.free(z);
    oh.free(f);
  });

  it('rejects subarrays not at offset 0, foreign views and double frees', () => {
    const before = live();
    const v = oh.alloc(4096);
    expectOffheapError(() => oh.free(v.subarray(64)), 'ERR_OFFHEAP_INVALID_FREE');
    expectOffheapError(() => oh.free(new Uint8Array(8)), 'ERR_OFFHEAP_INVALID_FREE');
    oh.free(v.subarray(0, 1));
    expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_INVALID_FREE');
    expect(live()).toBe(before);
  });

  it('frees fast-mode blocks allocated before the switch, and vice versa', () => {
    oh.configure({ checked: false });
    const fast = oh.alloc(300);
    oh.configure({ checked: true });
    const checked = oh.alloc(300);
    oh.free(fast);
    oh.configure({ checked: false });
    oh.free(checked);
    expect(checked.length).toBe(0);
  });

  it('returns blocks JS forgot once V8 collects their buffers', async () => {
    const before = live();
    (() => {
      for (let i = 0; i < 500; i++) oh.alloc(1000)[0] = 1;
    })();
    expect(live() - before).toBe(500 * 1024);
    await collectGarbage();
    expect(live()).toBe(before);
  });

  it('huge blocks in checked mode', () => {
    const before = live();
    const h = oh.alloc((16 << 20) + 100);
    expect(h.buffer.byteLength).toBe((16 << 20) + 100);
    h[h.length - 1] = 3;
    oh.free(h);
    expect(h.length).toBe(0);
    expect(live()).toBe(before);
  });
});
