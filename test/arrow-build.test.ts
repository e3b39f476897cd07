// offheap/arrow: building tables in offheap memory (allocArray columns
// through makeData/makeTable, the utf8/binary builders, validity bitmaps) and
// writing them (tableToIPC, writeIPC straight to a file).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Arrow from 'apache-arrow';
import { A, allBuffers, backing, oa } from './arrow-helpers';
import { oh } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'offheap-arrow-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const live = () => oh.stats('thread').bytesLive;
const kinds = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array] as const;

describe('fixed-width columns from allocArray', () => {
  it('go through makeData / makeTable as they are: the table shows the very same memory, and IPC round-trips', () => {
    const base = live();
    const n = 1000;
    const cols: Record<string, ArrayBufferView> = {};
    for (const K of kinds) {
      const v = oh.allocArray(K as never, n) as unknown as { [i: number]: number | bigint; length: number };
      for (let i = 0; i < n; i++) v[i] = K === BigInt64Array || K === BigUint64Array ? BigInt(i * 7) : (i * 7) % 100;
      cols[K.name] = v as unknown as ArrayBufferView;
    }
    const t = A.makeTable(cols as never) as unknown as Arrow.Table;
    expect(t.numCols).toBe(kinds.length);
    for (const K of kinds) {
      const d = t.getChild(K.name)!.data[0]!;
      expect(d.values, K.name).toBe(K === Uint8Array ? d.values : cols[K.name]); // Arrow keeps the typed array itself (a Uint8Array gets a new view)
      expect(d.values.buffer).toBe(cols[K.name]!.buffer);
      expect(d.values.byteOffset).toBe(cols[K.name]!.byteOffset);
    }
    (cols.Float64Array as Float64Array)[3] = 0.5; // a write to the column is a write to the table
    expect(t.getChild('Float64Array')!.get(3)).toBe(0.5);
    for (const format of ['file', 'stream'] as const) {
      const bytes = A.tableToIPC(t, format);
      const back = A.tableFromIPC(bytes);
      expect(back.getChild('BigUint64Array')!.get(999)).toBe(6993n);
      expect(back.getChild('Int8Array')!.get(15)).toBe(5);
      expect(back.getChild('Float64Array')!.get(3)).toBe(0.5);
      const r = oa.readIPC(bytes);
      expect(Buffer.compare(Buffer.from(A.tableToIPC(r, format)), Buffer.from(bytes))).toBe(0);
      oa.release(r);
    }
    expect(oa.release(t)).toBe(kinds.length);
    expect(live()).toBe(base);
  });

  it('with nulls: validityBitmap makes the bitmap in an offheap block', () => {
    const base = live();
    const n = 77;
    const v = oh.allocArray(Float64Array, n);
    for (let i = 0; i < n; i++) v[i] = i;
    const valid = Array.from({ length: n }, (_, i) => i % 4 !== 1);
    const { bitmap, nullCount } = oa.validityBitmap(valid);
    expect(nullCount).toBe(19);
    const vec = A.makeVector(A.makeData({ type: new A.Float64(), length: n, nullCount, nullBitmap: bitmap, data: v }));
    expect(vec.nullCount).toBe(19);
    expect(vec.get(1)).toBeNull();
    expect(vec.get(2)).toBe(2);
    expect(vec.toArray().length).toBe(n);
    expect(A.tableFromIPC(A.tableToIPC(new A.Table({ v: vec }))).getChild('v')!.get(5)).toBeNull();
    expect(oa.release(vec)).toBe(2);
    expect(live()).toBe(base);
    expect(() => oa.validityBitmap(5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => oa.validityBitmap([])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('utf8 and binary columns', () => {
  const strings = Array.from({ length: 5000 }, (_, i) =>
    i % 11 === 0 ? null : i % 13 === 0 ? '' : i % 5 === 0 ? `ünïcødé ${i} 😀` : `s${i}`.repeat(1 + (i % 4)),
  );

  it('utf8Column: offsets, bytes and validity in offheap blocks of exactly the size needed; Arrow reads it as its own', () => {
    const base = live();
    const col = oa.utf8Column(strings);
    expect(col.type.toString()).toBe('Utf8');
    expect(col.length).toBe(strings.length);
    expect(col.nullCount).toBe(strings.filter((s) => s === null).length);
    expect([...col]).toEqual(strings);
    const d = col.data[0]!;
    const bytes = strings.reduce((n, s) => n + (s === null ? 0 : Buffer.byteLength(s)), 0);
    expect(d.values.byteLength).toBe(bytes);
    expect(d.values.buffer.byteLength).toBe(bytes); // exact: measured first
    expect(d.valueOffsets.buffer.byteLength).toBe((strings.length + 1) * 4);
    expect(backing(col).size).toBe(3);
    // the same offsets and validity as Arrow's own builder (which pads its buffers to 64 bytes)
    const ref = A.vectorFromArray(strings, new A.Utf8()).data[0]!;
    expect([...d.valueOffsets]).toEqual([...ref.valueOffsets.subarray(0, strings.length + 1)]);
    expect([...d.values]).toEqual([...ref.values.subarray(0, bytes)]);
    expect([...d.nullBitmap]).toEqual([...ref.nullBitmap.subarray(0, d.nullBitmap.byteLength)]); // bits past the end are 0 too
    expect([...A.tableFromIPC(A.tableToIPC(new A.Table({ s: col }))).getChild('s')!]).toEqual(strings);
    expect(oa.release(col)).toBe(3);
    expect(live()).toBe(base);
  });

  it('builders grow by doubling from small capacities and give the same column; an iterable uses one', () => {
    const base = live();
    const b = oa.utf8Builder({ byteCapacity: 1, rowCapacity: 1 });
    for (const s of strings) b.append(s);
    expect(b.length).toBe(strings.length);
    expect(b.nullCount).toBe(strings.filter((s) => s === null).length);
    const col = b.finish();
    expect([...col]).toEqual(strings);
    expect(() => b.append('late')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => b.finish()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    const fromIter = oa.utf8Column(new Set(strings.slice(0, 100)));
    expect([...fromIter]).toEqual([...new Set(strings.slice(0, 100))]);
    expect(oa.release(col)).toBe(3);
    expect(oa.release(fromIter)).toBe(3);
    expect(live()).toBe(base);
  });

  it('no nulls: no bitmap; all nulls or empty strings: no value block; zero rows works', () => {
    const base = live();
    const dense = oa.utf8Column(['a', 'bb', 'ccc']);
    expect(dense.nullCount).toBe(0);
    expect(dense.data[0]!.nullBitmap?.byteLength ?? 0).toBe(0);
    expect(oa.release(dense)).toBe(2);
    const nulls = oa.utf8Column([null, undefined, null]);
    expect([...nulls]).toEqual([null, null, null]);
    expect(oa.release(nulls)).toBe(2); // offsets and bitmap
    const empty = oa.utf8Column(['', '']);
    expect([...empty]).toEqual(['', '']);
    expect(oa.release(empty)).toBe(1);
    const none = oa.utf8Column([]);
    expect(none.length).toBe(0);
    expect(oa.release(none)).toBe(1);
    expect(live()).toBe(base);
  });

  it('binaryColumn and binaryBuilder: any ArrayBufferView, copied into the column', () => {
    const base = live();
    const vals = Array.from({ length: 300 }, (_, i) => (i % 9 === 0 ? null : Uint8Array.from({ length: i % 17 }, (_, j) => (i + j) & 255)));
    const col = oa.binaryColumn(vals);
    expect(col.type.toString()).toBe('Binary');
    expect([...col].map((v) => (v === null ? null : [...v]))).toEqual(vals.map((v) => (v === null ? null : [...v])));
    const b = oa.binaryBuilder();
    b.append(new DataView(Uint8Array.of(1, 2, 3).buffer)).append(Float64Array.of(1)).append(null);
    const c2 = b.finish();
    expect([...c2.get(0)!]).toEqual([1, 2, 3]);
    expect(c2.get(1)!.byteLength).toBe(8);
    expect(oa.release(col)).toBe(3);
    expect(oa.release(c2)).toBe(3);
    expect(live()).toBe(base);
  });

  it('bad values are refused with nothing leaked: wrong types, lookalikes, detached views, bad options', () => {
    const base = live();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => oa.utf8Column(['a', 5 as never, 'b']))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.utf8Column('abc' as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.utf8Column(null as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.binaryColumn([{ byteLength: 3, buffer: new ArrayBuffer(3) } as never]))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.binaryColumn([new Proxy(new Uint8Array(3), {})]))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.utf8Builder({ byteCapacity: -1 }))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => oa.utf8Builder({ rowCapacity: 'x' as never }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.utf8Builder(7 as never))).toBe('ERR_INVALID_ARG_TYPE');
    const throwing = {
      *[Symbol.iterator]() {
        yield 'a';
        throw new Error('source failed');
      },
    };
    expect(() => oa.utf8Column(throwing)).toThrow('source failed');
    const b = oa.utf8Builder();
    b.append('x');
    b.discard();
    b.discard();
    expect(code(() => b.append('y'))).toBe('ERR_INVALID_STATE');
    expect(live()).toBe(base);
  });
});

describe('writing', () => {
  it('tableToIPC of an offheap table (builders + allocArray) works: Arrow reads back the same values', () => {
    const n = 10_000;
    const x = oh.allocArray(Float64Array, n);
    for (let i = 0; i < n; i++) x[i] = i / 3;
    const s = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : `v${i}`));
    const off = new A.Table({ x: A.makeVector(x), s: oa.utf8Column(s) });
    for (const format of ['file', 'stream'] as const) {
      const back = A.tableFromIPC(A.tableToIPC(off, format));
      expect([...back.getChild('x')!]).toEqual([...x]);
      expect([...back.getChild('s')!]).toEqual(s);
    }
    oa.release(off);
  });

  it('writeIPC writes the file and stream formats straight to disk, byte for byte what tableToIPC builds in memory', () => {
    const base = live();
    const n = 100_000;
    const x = oh.allocArray(Int32Array, n);
    for (let i = 0; i < n; i++) x[i] = i * 3;
    const one = new A.Table({
      x: A.makeVector(x),
      s: oa.utf8Column(Array.from({ length: n }, (_, i) => (i % 7 ? `r${i}` : null))),
      d: A.vectorFromArray(Array.from({ length: n }, (_, i) => ['a', 'b'][i % 2]!), new A.Dictionary(new A.Utf8(), new A.Int32())),
    });
    const t = one.concat(one.slice(0, 1)); // two record batches sharing a dictionary
    for (const format of ['file', 'stream'] as const) {
      const p = join(dir, `out.${format}`);
      const n2 = oa.writeIPC(t, p, { format });
      const disk = readFileSync(p);
      expect(n2).toBe(disk.byteLength);
      expect(Buffer.compare(disk, Buffer.from(A.tableToIPC(t, format)))).toBe(0);
      const back = oa.readIPC(p);
      expect(back.numRows).toBe(n + 1);
      expect(back.getChild('s')!.get(8)).toBe('r8');
      oa.release(back);
    }
    expect(oa.writeIPC(t, join(dir, 'default.arrow'))).toBe(readFileSync(join(dir, 'out.file')).byteLength); // file format by default
    oa.release(t);
    expect(live()).toBe(base);
  });

  it('writeIPC refuses bad arguments, and a failed write leaves no file behind', () => {
    const t = A.tableFromArrays({ x: [1, 2] });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => oa.writeIPC({} as never, join(dir, 'a')))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.writeIPC(t, 5 as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => oa.writeIPC(t, join(dir, 'b'), { format: 'json' as never }))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => oa.writeIPC(t, join(dir, 'missing-dir', 'c')))).toBe('ENOENT');
    // a table whose buffers are broken fails mid-write: the temporary file is removed
    const broken = new A.Table({ x: A.makeVector(Float64Array.of(1, 2)) });
    Object.defineProperty(broken.batches[0]!.data.children[0]!, 'values', { get() { throw new Error('boom'); } });
    expect(() => oa.writeIPC(broken, join(dir, 'broken.arrow'))).toThrow('boom');
    expect(readdirSync(dir).filter((f) => f.includes('broken') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('an allocArray table read back through readIPC has every buffer in offheap memory', () => {
    const v = oh.allocArray(Float64Array, 64);
    const t = A.makeTable({ v });
    const r = oa.readIPC(A.tableToIPC(t));
    for (const b of allBuffers(r)) expect(b.buffer).toBe(allBuffers(r)[0]!.buffer);
    oa.release(r);
    oa.release(t);
  });
});
