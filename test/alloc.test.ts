import { afterEach, describe, expect, it } from 'vitest';
import { NODE_MAJOR, bytesOf, expectOffheapError, live, oh } from './helpers';

const MiB = 1 << 20;

describe('alloc', () => {
  it('returns a Uint8Array of exactly the requested length that holds data', () => {
    for (const n of [1, 7, 63, 64, 65, 100, 1000, 4096, 4097, 65536, MiB, 3 * MiB + 5]) {
      const v = oh.alloc(n);
      expect(v).toBeInstanceOf(Uint8Array);
      expect(v.length).toBe(n);
      expect(v.byteLength).toBe(n);
      v.fill(0xa5);
      v[n - 1] = 0x5a;
      expect(v[0]).toBe(n === 1 ? 0x5a : 0xa5);
      expect(v[n - 1]).toBe(0x5a);
      oh.free(v);
    }
  });

  it('gives non-overlapping blocks: every block keeps its own pattern', () => {
    const blocks: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const v = oh.alloc(1 + ((i * 97) % 5000));
      v.fill(i & 0xff);
      blocks.push(v);
    }
    for (let i = 0; i < blocks.length; i++) {
      const v = blocks[i]!;
      expect(v.every((b) => b === (i & 0xff)), `block ${i}`).toBe(true);
    }
    for (const v of blocks) oh.free(v);
  });

  it('fast mode: view.buffer is the shared pool, blocks are 64-byte aligned within it', () => {
    const a = oh.alloc(100);
    const b = oh.alloc(100);
    expect(a.buffer).toBe(b.buffer);
    expect(a.buffer.byteLength).toBeGreaterThan(16 * MiB);
    expect(a.byteOffset % 64).toBe(b.byteOffset % 64);
    expect(Math.abs(a.byteOffset - b.byteOffset)).toBeGreaterThanOrEqual(128);
    const c = oh.alloc(4096);
    const d = oh.alloc(4096);
    expect(Math.abs(c.byteOffset - d.byteOffset) % 4096).toBe(0);
    for (const v of [a, b, c, d]) oh.free(v);
  });

  it('huge blocks (> 16 MiB) get their own buffer', () => {
    const h = oh.alloc(16 * MiB + 1);
    expect(h.length).toBe(16 * MiB + 1);
    expect(h.buffer.byteLength).toBeGreaterThanOrEqual(16 * MiB + 1);
    h[0] = 1;
    h[h.length - 1] = 2;
    const small = oh.alloc(64);
    expect(small.buffer).not.toBe(h.buffer);
    expect(h[0] + h[h.length - 1]!).toBe(3);
    oh.free(h);
    oh.free(small);
  });

  it('rejects non-number sizes with TypeError', () => {
    for (const bad of ['64', 64n, null, undefined, {}, [], true, () => 1, Symbol('x')]) {
      expect(() => oh.alloc(bad as never), String(typeof bad)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => oh.allocZeroed(bad as never)).toThrow(TypeError);
    }
  });

  it('rejects bad numeric sizes with RangeError ERR_OUT_OF_RANGE', () => {
    for (const bad of [-1, 0, -0, 0.5, 1.5, 63.9, NaN, Infinity, -Infinity, 2 ** 44 + 1, 2 ** 53, Number.MAX_VALUE]) {
      expect(() => oh.alloc(bad), String(bad)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
      expect(() => oh.allocZeroed(bad), String(bad)).toThrow(RangeError);
    }
    // and the heap still works
    const v = oh.alloc(10);
    v[9] = 9;
    expect(v[9]).toBe(9);
    oh.free(v);
  });

  // On Node 20 a request this large is refused before allocating (see big.test.ts).
  it.runIf(NODE_MAJOR >= 22)('reports OOM as OffheapError ERR_OFFHEAP_OOM for a request no system can satisfy', () => {
    const before = oh.stats();
    // 2^44 (16 TiB) is the largest legal request; with swap 'never' it cannot be mapped here.
    oh.configure({ swap: 'never' });
    try {
      expectOffheapError(() => oh.alloc(2 ** 44), 'ERR_OFFHEAP_OOM');
      expectOffheapError(() => oh.allocArray(Float64Array, 2 ** 41), 'ERR_OFFHEAP_OOM');
    } finally {
      oh.configure({ swap: 'auto' });
    }
    const after = oh.stats();
    expect(after.bytesLive).toBe(before.bytesLive);
    const v = oh.alloc(128);
    oh.free(v);
  });
});

describe('allocZeroed', () => {
  it('really zeroes recycled memory', () => {
    for (const n of [64, 100, 4096, 65536, MiB]) {
      for (let round = 0; round < 3; round++) {
        const dirty = oh.alloc(n);
        dirty.fill(0xff);
        const off = dirty.byteOffset;
        oh.free(dirty);
        const z = oh.allocZeroed(n);
        expect(z.length).toBe(n);
        if (round === 0 && n <= 4096) expect(z.byteOffset).toBe(off); // the same block came back
        expect(z.every((b) => b === 0)).toBe(true);
        oh.free(z);
      }
    }
  });
});

const kinds = [
  { ctor: Int8Array, values: [-128, -1, 0, 1, 127] },
  { ctor: Uint8Array, values: [0, 1, 127, 128, 255] },
  { ctor: Uint8ClampedArray, values: [0, 1, 200, 255, 7] },
  { ctor: Int16Array, values: [-32768, -2, 0, 513, 32767] },
  { ctor: Uint16Array, values: [0, 1, 258, 40000, 65535] },
  { ctor: Int32Array, values: [-(2 ** 31), -3, 0, 0x01020304, 2 ** 31 - 1] },
  { ctor: Uint32Array, values: [0, 1, 0xdeadbeef, 0x01020304, 2 ** 32 - 1] },
  { ctor: Float32Array, values: [0, -1.5, 3.25, 1e30, -0.125] },
  { ctor: Float64Array, values: [0, -1.5, Math.PI, 1e300, -Number.MIN_VALUE] },
  { ctor: BigInt64Array, values: [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 0x0102030405060708n] },
  { ctor: BigUint64Array, values: [0n, 1n, 2n ** 64n - 1n, 0x0102030405060708n, 42n] },
] as const;

describe('allocArray', () => {
  for (const { ctor, values } of kinds) {
    it(`${ctor.name}: right length, alignment and bytes (checked through a second view)`, () => {
      const n = 1000;
      const arr = oh.allocArray(ctor as never, n) as unknown as { [i: number]: number | bigint; length: number; byteLength: number; byteOffset: number; buffer: ArrayBuffer; constructor: unknown };
      expect(arr).toBeInstanceOf(ctor);
      expect(arr.length).toBe(n);
      expect(arr.byteLength).toBe(n * ctor.BYTES_PER_ELEMENT);
      expect(arr.byteOffset % ctor.BYTES_PER_ELEMENT).toBe(0);
      // reference encoding from an ordinary typed array
      const ref = new (ctor as unknown as new (n: number) => typeof arr)(n);
      for (let i = 0; i < n; i++) {
        const v = values[i % values.length]!;
        arr[i] = v;
        ref[i] = v;
      }
      const bytes = bytesOf(arr as unknown as ArrayBufferView);
      const refBytes = new Uint8Array(ref.buffer, 0, ref.byteLength);
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(refBytes))).toBe(0);
      // write through the bytes, read through the typed view
      const k = 3 * ctor.BYTES_PER_ELEMENT;
      bytes.set(refBytes.subarray(0, ctor.BYTES_PER_ELEMENT), k);
      expect(arr[3]).toBe(ref[0]);
      oh.free(arr as unknown as ArrayBufferView);
    });
  }

  it('accounts exactly: 2^k elements of 8 bytes take exactly 2^k * 8 bytes', () => {
    const before = live();
    const col = oh.allocArray(Float64Array, 1 << 17); // 1 MiB
    expect(live() - before).toBe(MiB);
    oh.free(col);
    expect(live()).toBe(before);
  });

  it('rejects non-TypedArray constructors with TypeError', () => {
    for (const bad of [Array, DataView, ArrayBuffer, Buffer, Object, null, undefined, 'Float64Array', 8, class extends Uint8Array {}]) {
      expect(() => oh.allocArray(bad as never, 4)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    }
  });

  it('rejects bad lengths', () => {
    for (const bad of ['4', 4n, null, undefined, {}]) expect(() => oh.allocArray(Uint8Array, bad as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    for (const bad of [0, -1, 1.5, NaN, Infinity]) expect(() => oh.allocArray(Uint8Array, bad)).toThrow(RangeError);
    expect(() => oh.allocArray(Float64Array, 2 ** 41 + 1)).toThrow(RangeError); // 2^44 + 8 bytes
    expect(() => oh.allocArray(BigInt64Array, 2 ** 44)).toThrow(RangeError);
  });
});

describe('stats rise and fall by block sizes', () => {
  afterEach(() => oh.gc());

  it('4096 B adds exactly 4096; 100 B adds 128; 1 B and 64 B add 64; 65 B adds 128; other sizes their class', () => {
    const cases: Array<[number, number]> = [
      [4096, 4096], [100, 128], [1, 64], [64, 64], [65, 128], [129, 192], [4097, 5120], [4104, 5120],
      [20000, 20480], [MiB, MiB], [MiB + 1, MiB + 128 * 1024],
    ];
    for (const [req, block] of cases) {
      const s0 = oh.stats();
      const v = oh.alloc(req);
      const s1 = oh.stats();
      expect(s1.bytesLive - s0.bytesLive, `request ${req}`).toBe(block);
      expect(s1.allocCount - s0.allocCount).toBe(1);
      const order = Math.ceil(Math.log2(block)); // live_by_order: the order a class rounds up to
      expect(s1.liveByOrder[order - 6]! - s0.liveByOrder[order - 6]!).toBe(1);
      expect(s1.bytesPeak).toBeGreaterThanOrEqual(s1.bytesLive);
      oh.free(v);
      const s2 = oh.stats();
      expect(s2.bytesLive).toBe(s0.bytesLive);
      expect(s2.freeCount - s0.freeCount).toBe(1);
      expect(s2.liveByOrder[order - 6]).toBe(s0.liveByOrder[order - 6]);
    }
  });

  it('huge blocks are counted page-rounded in hugeCount / hugeBytes', () => {
    const s0 = oh.stats();
    const h = oh.alloc(20 * MiB + 1);
    const s1 = oh.stats();
    expect(s1.hugeCount - s0.hugeCount).toBe(1);
    expect(s1.hugeBytes - s0.hugeBytes).toBe(20 * MiB + 4096);
    expect(s1.bytesMapped).toBeGreaterThanOrEqual(s1.hugeBytes);
    oh.free(h);
    const s2 = oh.stats();
    expect(s2.hugeCount).toBe(s0.hugeCount);
    expect(s2.hugeBytes).toBe(s0.hugeBytes);
  });

  it('has every documented field as a number', () => {
    const s = oh.stats();
    for (const k of ['allocCount', 'freeCount', 'bytesLive', 'bytesPeak', 'slabHits', 'poolCount', 'swapPoolCount', 'bytesMapped', 'bytesSwap', 'hugeCount', 'hugeBytes', 'remotePending', 'remoteFrees', 'bytesCached', 'heapsLive', 'heapsPending'] as const) {
      expect(typeof s[k], k).toBe('number');
      expect(s[k]).toBeGreaterThanOrEqual(0);
    }
    expect(s.liveByOrder).toHaveLength(19);
  });
});
