import { describe, expect, it } from 'vitest';
import { expectOffheapError, live, oh } from './helpers';

describe('free', () => {
  it('frees, and a second free throws ERR_OFFHEAP_INVALID_FREE without corrupting the heap', () => {
    const before = live();
    const v = oh.alloc(1000);
    oh.free(v);
    expect(live()).toBe(before);
    expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_INVALID_FREE');
    expect(live()).toBe(before);
    // the heap keeps working: allocate, fill, verify, free many blocks
    const xs = Array.from({ length: 200 }, (_, i) => oh.alloc(1000).fill(i));
    xs.forEach((x, i) => expect(x.every((b) => b === i)).toBe(true));
    xs.forEach((x) => oh.free(x));
    expect(live()).toBe(before);
  });

  it('double free of a huge block throws too', () => {
    const h = oh.alloc(17 << 20);
    oh.free(h);
    expectOffheapError(() => oh.free(h), 'ERR_OFFHEAP_INVALID_FREE');
  });

  it('rejects foreign views (not from offheap)', () => {
    const before = oh.stats();
    const foreign: ArrayBufferView[] = [
      new Uint8Array(16),
      new Float64Array(4),
      Buffer.alloc(16),
      Buffer.allocUnsafe(16),
      Buffer.allocUnsafe(5000),
      new DataView(new ArrayBuffer(8)),
      new Uint8Array(new SharedArrayBuffer(64)),
    ];
    for (const f of foreign) expectOffheapError(() => oh.free(f), 'ERR_OFFHEAP_INVALID_FREE');
    const after = oh.stats();
    expect(after.bytesLive).toBe(before.bytesLive);
    expect(after.freeCount).toBe(before.freeCount);
  });

  it('rejects a subarray that does not start the block, then frees the real view', () => {
    const before = live();
    const v = oh.alloc(4096);
    for (const off of [1, 63, 64, 128, 2048, 4095]) {
      expectOffheapError(() => oh.free(v.subarray(off)), 'ERR_OFFHEAP_INVALID_FREE');
    }
    expectOffheapError(() => oh.free(new DataView(v.buffer, v.byteOffset + 64, 8)), 'ERR_OFFHEAP_INVALID_FREE');
    expect(live() - before).toBe(4096);
    oh.free(v);
    expect(live()).toBe(before);
  });

  it('rejects a hand-made view at a free block start or outside any block', () => {
    const v = oh.alloc(256);
    const pool = v.buffer;
    const off = v.byteOffset;
    oh.free(v);
    expectOffheapError(() => oh.free(new Uint8Array(pool, off, 256)), 'ERR_OFFHEAP_INVALID_FREE');
    expectOffheapError(() => oh.free(new Uint8Array(pool, pool.byteLength - 64, 64)), 'ERR_OFFHEAP_INVALID_FREE');
  });

  it('accepts any view of the same buffer starting at the block start', () => {
    const before = live();
    const a = oh.alloc(512);
    oh.free(a.subarray(0, 10)); // shorter, same start
    const b = oh.alloc(512);
    oh.free(new DataView(b.buffer, b.byteOffset, 8));
    const c = oh.allocArray(Float64Array, 64);
    oh.free(new Uint32Array(c.buffer, c.byteOffset, 4));
    const d = oh.alloc(64);
    oh.free(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    expect(live()).toBe(before);
  });

  it('rejects non-views with TypeError ERR_INVALID_ARG_TYPE', () => {
    for (const bad of [undefined, null, 1, 'x', {}, [], new ArrayBuffer(8), () => 0]) {
      expect(() => oh.free(bad as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    }
  });

  it('lookalike objects and Proxies free nothing', () => {
    const before = oh.stats();
    const v = oh.alloc(256);
    const d = new DataView(v.buffer, v.byteOffset, 8);
    const fakes: unknown[] = [
      { buffer: v.buffer, byteOffset: v.byteOffset },
      { buffer: v.buffer, byteOffset: v.byteOffset, byteLength: 256 },
      Object.create(Uint8Array.prototype, { buffer: { value: v.buffer }, byteOffset: { value: v.byteOffset } }),
      new Proxy(v, {}),
      new Proxy(d, {}),
    ];
    for (const f of fakes) {
      expect(() => oh.free(f as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    }
    const mid = oh.stats();
    expect(mid.freeCount).toBe(before.freeCount);
    expect(mid.bytesLive - before.bytesLive).toBe(256);
    oh.free(v); // still live: exactly one free succeeds
    expect(oh.stats().bytesLive).toBe(before.bytesLive);
  });

  it('reads buffer and byteOffset through the intrinsic getters, not overridable properties', () => {
    const before = live();
    const a = oh.alloc(64);
    const b = oh.alloc(64);
    const aOff = a.byteOffset;
    const bOff = b.byteOffset;
    b.fill(2);
    Object.defineProperty(a, 'byteOffset', { value: bOff }); // a view of a that claims to be b
    oh.free(a); // frees a's block, not b's
    expectOffheapError(() => oh.free(new Uint8Array(b.buffer, aOff, 64)), 'ERR_OFFHEAP_INVALID_FREE'); // a is gone
    expect(live() - before).toBe(64); // b is still live
    expect(b.every((x) => x === 2)).toBe(true);
    class Lying extends Uint8Array {
      override get byteOffset(): number {
        return 0; // the pool's first block
      }
      override get buffer(): ArrayBuffer {
        return new ArrayBuffer(64);
      }
    }
    oh.free(new Lying(b.buffer, bOff, 64)); // the truth: b
    expect(live()).toBe(before);
  });

  it('interleaves with allocation in any order (LIFO, FIFO, random)', () => {
    const before = live();
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const liveSet: Uint8Array[] = [];
    for (let i = 0; i < 20000; i++) {
      if (liveSet.length && rnd() < 0.45) {
        const j = Math.floor(rnd() * liveSet.length);
        const v = liveSet[j]!;
        expect(v[0]).toBe(v.length & 0xff);
        oh.free(v);
        liveSet[j] = liveSet[liveSet.length - 1]!;
        liveSet.pop();
      } else {
        const n = 1 + Math.floor(rnd() * 70000);
        const v = oh.alloc(n);
        v[0] = n & 0xff;
        liveSet.push(v);
      }
    }
    for (const v of liveSet) oh.free(v);
    expect(live()).toBe(before);
  });
});
