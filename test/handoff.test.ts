import { afterEach, describe, expect, it } from 'vitest';
import { expectOffheapError, live, oh } from './helpers';

describe('handleOf / adopt (same thread)', () => {
  afterEach(() => oh.configure({ checked: false }));

  it('round-trips a block zero-copy through a structured clone of the handle', () => {
    const before = live();
    const v = oh.allocArray(Float64Array, 1000);
    for (let i = 0; i < v.length; i++) v[i] = i * 1.5;
    const h = oh.handleOf(v);
    expect(h).toEqual({ offheap: 1, address: expect.any(Number), byteLength: 8000, pid: process.pid, ticket: expect.any(Number), tag: expect.any(Number) });
    expect(Number.isSafeInteger(h.ticket) && h.ticket > 0).toBe(true);
    const clone = structuredClone(h);
    const back = oh.adopt(clone, Float64Array);
    expect(back).toBeInstanceOf(Float64Array);
    expect(back.length).toBe(1000);
    expect(back[999]).toBe(999 * 1.5);
    back[0] = 42; // same memory as v: zero-copy
    expect(v[0]).toBe(42);
    expect(live() - before).toBe(8192);
    oh.free(back);
    expect(live()).toBe(before);
  });

  it('adopt defaults to Uint8Array; the handle covers the view length', () => {
    const v = oh.alloc(300);
    v.fill(3);
    const u = oh.adopt(oh.handleOf(v.subarray(0, 100)));
    expect(u).toBeInstanceOf(Uint8Array);
    expect(u.length).toBe(100);
    expect(u[99]).toBe(3);
    oh.free(u);
  });

  it('a block in transit cannot be freed or handed off again; adopt succeeds exactly once', () => {
    const before = live();
    const v = oh.alloc(64);
    const h = oh.handleOf(v);
    expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_INVALID_FREE');
    expectOffheapError(() => oh.handleOf(v), 'ERR_OFFHEAP_INVALID_VIEW');
    const a = oh.adopt(h);
    expectOffheapError(() => oh.adopt(h), 'ERR_OFFHEAP_INVALID_HANDLE');
    expectOffheapError(() => oh.adopt(structuredClone(h)), 'ERR_OFFHEAP_INVALID_HANDLE');
    oh.free(a);
    expectOffheapError(() => oh.adopt(h), 'ERR_OFFHEAP_INVALID_HANDLE'); // block freed
    expect(live()).toBe(before);
  });

  it('rejects forged and malformed handles without consuming the real one', () => {
    const v = oh.alloc(256);
    const h = oh.handleOf(v);
    const forged: unknown[] = [
      { ...h, tag: h.tag + 1 },
      { ...h, ticket: h.ticket + 1 },
      { ...h, ticket: h.ticket - 1 },
      { ...h, ticket: 0 },
      { ...h, ticket: String(h.ticket) },
      { offheap: 1, address: h.address, byteLength: h.byteLength, pid: h.pid, tag: h.tag },
      { ...h, address: h.address + 64 },
      { ...h, address: h.address + 1 },
      { ...h, byteLength: h.byteLength + 1 },
      { ...h, byteLength: 1 << 30 },
      { ...h, pid: h.pid + 1 },
      { ...h, offheap: 2 },
      { address: h.address, byteLength: h.byteLength, pid: h.pid, tag: h.tag },
      { ...h, address: String(h.address) },
      { ...h, tag: BigInt(h.tag) },
      { ...h, byteLength: 0 },
      { ...h, byteLength: -1 },
      { ...h, address: 0 },
      { ...h, address: 2 ** 60 },
      { ...h, address: NaN },
      {},
      [],
    ];
    for (const f of forged) expectOffheapError(() => oh.adopt(f as never), 'ERR_OFFHEAP_INVALID_HANDLE');
    for (const bad of [null, undefined, 42, 'handle', Symbol('h')]) expect(() => oh.adopt(bad as never)).toThrow(TypeError);
    expect(() => oh.adopt(h, Array as never)).toThrow(TypeError);
    expect(() => oh.adopt({ ...h, byteLength: 250 }, Float64Array)).toThrow(RangeError); // not a multiple of 8 (checked first)
    // the genuine handle still works
    const a = oh.adopt(h);
    expect(a.length).toBe(256);
    oh.free(a);
  });

  it('a replayed handle is rejected even after its address was reused (tickets are generations)', () => {
    const before = live();
    const p = oh.alloc(256);
    const h1 = oh.handleOf(p);
    oh.free(oh.adopt(h1));
    const r = oh.alloc(256); // the slab gives the same address back
    const hr = oh.handleOf(r);
    expect(hr.address).toBe(h1.address);
    expect(hr.ticket).not.toBe(h1.ticket);
    r.fill(7);
    // the old handle must not steal r's hand-off (same address, same length)
    expectOffheapError(() => oh.adopt(h1), 'ERR_OFFHEAP_INVALID_HANDLE');
    const back = oh.adopt(hr);
    expect(back[255]).toBe(7);
    expectOffheapError(() => oh.adopt(h1), 'ERR_OFFHEAP_INVALID_HANDLE'); // nor a live, owned block
    oh.free(back);
    expect(live()).toBe(before);
  });

  it('the length a handle shows comes from the block, never from a forged view', () => {
    const v = oh.alloc(64);
    // an own property shadowing the getter: ignored
    Object.defineProperty(v, 'byteLength', { value: 2 ** 31 });
    const h = oh.handleOf(v);
    expect(h.byteLength).toBe(64);
    oh.configure({ checked: true });
    const a = oh.adopt(h);
    expect(a.buffer.byteLength).toBe(64);
    oh.free(a);
    oh.configure({ checked: false });

    // a subclass with lying getters: the intrinsic getters still see the truth
    class Lying extends Uint8Array {
      override get byteLength(): number {
        return 1 << 20;
      }
      override get byteOffset(): number {
        return 0;
      }
    }
    const w = oh.alloc(128);
    const lying = new Lying(w.buffer, w.byteOffset, 128);
    const hw = oh.handleOf(lying);
    expect(hw.byteLength).toBe(128);
    expect(hw.address % 64).toBe(0);
    const w2 = oh.adopt(hw);
    expect(w2.byteOffset).toBe(w.byteOffset);
    oh.free(new Lying(w2.buffer, w2.byteOffset, 1)); // frees w's block, not offset 0
    expectOffheapError(() => oh.free(w), 'ERR_OFFHEAP_INVALID_FREE');
  });

  it('refuses a real view longer than its block: the handle would cover neighbouring blocks', () => {
    const before = live();
    const v = oh.alloc(64);
    const next = oh.alloc(64);
    const long = new Uint8Array(v.buffer, v.byteOffset, 131136);
    expectOffheapError(() => oh.handleOf(long), 'ERR_OFFHEAP_INVALID_VIEW');
    expectOffheapError(() => oh.handleOf(new DataView(v.buffer, v.byteOffset, 65)), 'ERR_OFFHEAP_INVALID_VIEW');
    // nothing was put in transit: both blocks free normally
    oh.free(v);
    oh.free(next);
    expect(live()).toBe(before);
  });

  it('handleOf and adopt reject lookalike objects and Proxies', () => {
    const v = oh.alloc(64);
    for (const fake of [{ buffer: v.buffer, byteOffset: v.byteOffset, byteLength: 64 }, new Proxy(v, {})]) {
      expect(() => oh.handleOf(fake as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    }
    oh.free(v); // still live and owned: nothing was handed off
  });

  it('handleOf rejects non-views, foreign views, freed blocks, empty views and interior views', () => {
    for (const bad of [null, undefined, 1, {}, new ArrayBuffer(4)]) expect(() => oh.handleOf(bad as never)).toThrow(TypeError);
    expectOffheapError(() => oh.handleOf(new Uint8Array(8)), 'ERR_OFFHEAP_INVALID_VIEW');
    expectOffheapError(() => oh.handleOf(Buffer.alloc(8)), 'ERR_OFFHEAP_INVALID_VIEW');
    const v = oh.alloc(4096);
    expectOffheapError(() => oh.handleOf(v.subarray(64)), 'ERR_OFFHEAP_INVALID_VIEW');
    expectOffheapError(() => oh.handleOf(v.subarray(0, 0)), 'ERR_OFFHEAP_INVALID_VIEW');
    oh.free(v);
    expectOffheapError(() => oh.handleOf(v), 'ERR_OFFHEAP_INVALID_VIEW');
  });

  it('huge blocks hand off too', () => {
    const v = oh.alloc((20 << 20) + 3);
    v[v.length - 1] = 77;
    const a = oh.adopt(oh.handleOf(v));
    expect(a.length).toBe((20 << 20) + 3);
    expect(a[a.length - 1]).toBe(77);
    oh.free(a);
  });

  it('checked mode: handleOf detaches the sender; adopt returns an own buffer of exactly byteLength', () => {
    oh.configure({ checked: true });
    const before = live();
    const v = oh.alloc(100);
    v.fill(5);
    const h = oh.handleOf(v);
    expect(v.length).toBe(0); // sender's buffer detached
    expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_INVALID_FREE');
    const a = oh.adopt(h);
    expect(a.buffer.byteLength).toBe(100);
    expect(a[99]).toBe(5);
    expectOffheapError(() => oh.adopt(h), 'ERR_OFFHEAP_INVALID_HANDLE');
    oh.free(a);
    expect(a.length).toBe(0);
    expectOffheapError(() => oh.handleOf(a), 'ERR_OFFHEAP_INVALID_VIEW'); // freed here, not detached by someone else
    expectOffheapError(() => oh.handleOf(v), 'ERR_OFFHEAP_INVALID_VIEW'); // handed off
    expect(live()).toBe(before);
  });

  it('blocks cross modes: fast handle adopted in checked mode and back', () => {
    const f = oh.alloc(128);
    f[0] = 9;
    const h = oh.handleOf(f);
    oh.configure({ checked: true });
    const c = oh.adopt(h);
    expect(c.buffer.byteLength).toBe(128);
    expect(c[0]).toBe(9);
    const h2 = oh.handleOf(c);
    oh.configure({ checked: false });
    const f2 = oh.adopt(h2);
    expect(f2[0]).toBe(9);
    oh.free(f2);
  });
});
