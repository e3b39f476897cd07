// offheap/arrow: readIPC (bytes and paths, file and stream formats) over
// every Arrow type, zero-copy, release, and hostile input.
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Arrow from 'apache-arrow';
import { A, allBuffers, backing, oa } from './arrow-helpers';
import { collectGarbage, oh } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'offheap-arrow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const liveP = () => oh.stats('process').bytesLive;

/** A table with a column of every type Arrow JS reads from IPC (nulls in each), in two record batches. */
function everyType(n = 50): Arrow.Table {
  const nums = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, i) => (i % 5 === 3 ? null : f(i)));
  const dec = new Uint32Array(4 * n);
  for (let i = 0; i < dec.length; i++) dec[i] = Math.imul(i, 2654435761) >>> 0;
  const cols = {
    i8: A.vectorFromArray(nums((i) => i - 25), new A.Int8()),
    i16: A.vectorFromArray(nums((i) => i * 300 - 7000), new A.Int16()),
    i32: A.vectorFromArray(nums((i) => i * 70000 - 1e6), new A.Int32()),
    i64: A.vectorFromArray(nums((i) => BigInt(i) * 10n ** 15n - 7n), new A.Int64()),
    u8: A.vectorFromArray(nums((i) => i * 5), new A.Uint8()),
    u16: A.vectorFromArray(nums((i) => i * 1000), new A.Uint16()),
    u32: A.vectorFromArray(nums((i) => i * 80000000), new A.Uint32()),
    u64: A.vectorFromArray(nums((i) => BigInt(i) * 2n ** 58n), new A.Uint64()),
    f16: A.vectorFromArray(nums((i) => i / 4), new A.Float16()),
    f32: A.vectorFromArray(nums((i) => i / 3), new A.Float32()),
    f64: A.vectorFromArray(nums((i) => Math.PI * i), new A.Float64()),
    bool: A.vectorFromArray(nums((i) => i % 3 === 0), new A.Bool()),
    dday: A.vectorFromArray(nums((i) => new Date(Date.UTC(2020, 0, 1 + i))), new A.DateDay()),
    dms: A.vectorFromArray(nums((i) => new Date(Date.UTC(2021, 5, 1, 0, 0, i))), new A.DateMillisecond()),
    tsS: A.vectorFromArray(nums((i) => 1e12 + i * 1000), new A.TimestampSecond()),
    tsMs: A.vectorFromArray(nums((i) => 1e12 + i), new A.TimestampMillisecond()),
    tsUs: A.vectorFromArray(nums((i) => 1e12 + i), new A.TimestampMicrosecond()),
    tsNs: A.vectorFromArray(nums((i) => 1e12 + i), new A.TimestampNanosecond('UTC')),
    time: A.vectorFromArray(nums((i) => i * 1000), new A.TimeMillisecond()),
    dur: A.vectorFromArray(nums((i) => BigInt(i)), new A.DurationMillisecond()),
    ivl: A.vectorFromArray(nums((i) => Int32Array.of(i, i + 1)), new A.IntervalDayTime()),
    dec: A.makeVector(A.makeData({ type: new A.Decimal(2, 38, 128), length: n, data: dec })),
    utf8: A.vectorFromArray(nums((i) => 'é'.repeat(i % 4) + i), new A.Utf8()),
    lutf8: A.vectorFromArray(nums((i) => `L${i}`), new A.LargeUtf8()),
    bin: A.vectorFromArray(nums((i) => Uint8Array.of(i, i + 1)), new A.Binary()),
    fsb: A.vectorFromArray(nums((i) => Uint8Array.of(i, 1, 2, 3)), new A.FixedSizeBinary(4)),
    dict: A.vectorFromArray(nums((i) => ['red', 'green', 'blue'][i % 3]!), new A.Dictionary(new A.Utf8(), new A.Int32())),
    list: A.vectorFromArray(nums((i) => [i, i + 1]), new A.List(new A.Field('item', new A.Int32(), true))),
    struct: A.vectorFromArray(
      nums((i) => ({ x: i, y: `y${i}` })),
      new A.Struct([new A.Field('x', new A.Int32(), true), new A.Field('y', new A.Utf8(), true)]),
    ),
  };
  const t = new A.Table(cols);
  return t.concat(new A.Table(cols)); // two record batches sharing nothing but the schema
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('readIPC', () => {
  const table = everyType();
  const formats = ['file', 'stream'] as const;

  for (const format of formats) {
    it(`bytes, ${format} format: every type round-trips exactly, each buffer a view of one offheap block`, () => {
      const bytes = A.tableToIPC(table, format);
      const base = liveP();
      const t = oa.readIPC(bytes);
      expect(t.batches.length).toBe(2);
      expect(t.numRows).toBe(100);
      expect(t.schema.fields.map((f) => f.name)).toEqual(table.schema.fields.map((f) => f.name));
      // re-serialising gives the same bytes: every value, null, offset and dictionary came through
      expect(same(A.tableToIPC(t, format), bytes)).toBe(true);
      expect(t.getChild('i64')!.get(7)).toBe(7n * 10n ** 15n - 7n);
      expect(t.getChild('utf8')!.get(3)).toBeNull();
      expect(t.getChild('utf8')!.get(6)).toBe('éé6');
      expect(t.getChild('dict')!.get(52)).toBe('blue');
      expect(t.getChild('u64')!.get(2)).toBe(2n * 2n ** 58n);
      // zero-copy: one buffer behind every byte of the table, not the input's
      const bufs = backing(t);
      expect(bufs.size).toBe(1);
      const [block] = bufs;
      expect(block).not.toBe(bytes.buffer);
      expect(block!.byteLength).toBe(bytes.byteLength);
      expect(allBuffers(t).length).toBeGreaterThan(60);
      expect(liveP() - base).toBeGreaterThanOrEqual(bytes.byteLength);
      // release frees that block: its buffer is detached and bytesLive is back
      expect(oa.release(t)).toBe(1);
      expect(block!.byteLength).toBe(0);
      expect(liveP()).toBe(base);
    });

    it(`path, ${format} format: the file is mapped, not read; the table is a view of the mapping`, () => {
      const bytes = A.tableToIPC(table, format);
      const p = join(dir, `every.${format}.arrow`);
      writeFileSync(p, bytes);
      const t = oa.readIPC(p);
      expect(same(A.tableToIPC(t, format), bytes)).toBe(true);
      const bufs = backing(t);
      expect(bufs.size).toBe(1);
      const [mapping] = bufs;
      expect(mapping!.byteLength).toBe(bytes.byteLength); // the mapping is exactly the file
      // the table shows the file itself: a write to the file is visible through it (nothing was copied)
      const f64 = t.batches[0]!.data.children[t.schema.fields.findIndex((f) => f.name === 'f64')]!.values as Float64Array;
      const fd = openSync(p, 'r+');
      writeSync(fd, Float64Array.of(12345.5), 0, 8, f64.byteOffset + 8);
      closeSync(fd);
      expect(t.getChild('f64')!.get(1)).toBe(12345.5);
      // mode 'copy': a private copy-on-write mapping, writable without touching the file
      const copy = oa.readIPC(p, { mode: 'copy' });
      (copy.batches[0]!.data.children[10]!.values as Float64Array)[1] = -1;
      expect(copy.getChild('f64')!.get(1)).toBe(-1);
      expect(t.getChild('f64')!.get(1)).toBe(12345.5);
      expect(oa.release(copy)).toBe(1);
      expect(oa.release(t)).toBe(1);
      expect(mapping!.byteLength).toBe(0);
    });
  }

  it('accepts every kind of bytes: Buffer, Uint8Array at an offset, other typed arrays, DataView, ArrayBuffer, SharedArrayBuffer', () => {
    const bytes = A.tableToIPC(table, 'stream');
    const padded = new Uint8Array(bytes.byteLength + 3);
    padded.set(bytes, 3); // misaligned in the source: the copy is aligned
    const sab = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(sab).set(bytes);
    const ab = bytes.slice().buffer;
    const sources: unknown[] = [
      Buffer.from(bytes),
      padded.subarray(3),
      new DataView(ab),
      ab,
      sab,
      new Uint16Array(bytes.slice().buffer, 0, bytes.byteLength / 2), // byteLength is even here
    ];
    expect(bytes.byteLength % 2).toBe(0);
    const base = liveP();
    for (const s of sources) {
      const t = oa.readIPC(s as Uint8Array);
      expect(same(A.tableToIPC(t, 'stream'), bytes)).toBe(true);
      expect(oa.release(t)).toBe(1);
    }
    expect(liveP()).toBe(base);
  });

  it('a stream with a schema and no batches: the schema, no batches (Arrow\'s reader makes up a placeholder batch)', () => {
    const empty = new A.Table(table.schema);
    const bytes = A.tableToIPC(empty, 'stream');
    const t = oa.readIPC(bytes);
    expect(t.numRows).toBe(0);
    expect(t.batches.length).toBe(0);
    expect(t.schema.fields.length).toBe(table.schema.fields.length);
    oa.release(t);
  });

  it('refuses what is not IPC, with the memory freed: garbage, zeros, empty, truncated', () => {
    const bytes = A.tableToIPC(table, 'stream');
    const base = liveP();
    for (const bad of [Buffer.from('hello, world'), new Uint8Array(4096), bytes.subarray(0, 40)]) {
      let err: unknown;
      try {
        oa.readIPC(bad);
      } catch (e) {
        err = e;
      }
      expect(err, `readIPC of ${bad.byteLength} bad bytes`).toBeInstanceOf(TypeError);
      expect((err as { code: string }).code).toBe('ERR_INVALID_ARG_VALUE');
      expect((err as Error).message).toMatch(/not a valid Arrow IPC/);
    }
    expect(() => oa.readIPC(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(liveP()).toBe(base);
  });

  it('bad sources and options: clear errors, nothing mapped or allocated', () => {
    const base = liveP();
    const t = (v: unknown, code: string, o?: unknown) => {
      let err: unknown;
      try {
        oa.readIPC(v as string, o as undefined);
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string })?.code, `readIPC(${typeof v === 'string' ? v : typeof v})`).toBe(code);
    };
    t(undefined, 'ERR_INVALID_ARG_TYPE');
    t(42, 'ERR_INVALID_ARG_TYPE');
    t({ byteLength: 10, buffer: new ArrayBuffer(10) }, 'ERR_INVALID_ARG_TYPE'); // a lookalike
    t(new Proxy(new Uint8Array(8), {}), 'ERR_INVALID_ARG_TYPE'); // a Proxy is not a view
    t(join(dir, 'missing.arrow'), 'ENOENT');
    t(dir, 'EISDIR');
    const empty = join(dir, 'empty.arrow');
    writeFileSync(empty, '');
    t(empty, 'ERR_OFFHEAP_EMPTY_FILE');
    const garbage = join(dir, 'garbage.arrow');
    writeFileSync(garbage, 'not arrow at all, just some text');
    t(garbage, 'ERR_INVALID_ARG_VALUE');
    t(garbage, 'ERR_INVALID_ARG_VALUE', { mode: 'write' });
    t(garbage, 'ERR_INVALID_ARG_TYPE', 'read');
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.arrow');
      writeFileSync(locked, A.tableToIPC(table, 'file'));
      chmodSync(locked, 0o000);
      t(locked, 'EACCES');
    }
    expect(liveP()).toBe(base);
  });
});

describe('release', () => {
  const bytes = A.tableToIPC(everyType(), 'file');

  it('is idempotent: a second release, and release of parts of a released table, free nothing', () => {
    const base = liveP();
    const t = oa.readIPC(bytes);
    const col = t.getChild('utf8')!;
    const batch = t.batches[1]!;
    expect(oa.release(t)).toBe(1);
    expect(liveP()).toBe(base);
    expect(oa.release(t)).toBe(0);
    expect(oa.release(col)).toBe(0);
    expect(oa.release(batch)).toBe(0);
    expect(oa.release(batch.data)).toBe(0);
    expect(liveP()).toBe(base);
    // a stale read sees no data, never another allocation's bytes
    expect(col.data[0]!.values.byteLength).toBe(0);
  });

  it('a Vector, a RecordBatch or a Data frees exactly the blocks behind it, shared ones once', () => {
    const base = liveP();
    const a = oh.allocArray(Float64Array, 1000);
    const b = oh.allocArray(Float64Array, 1000);
    a.fill(1);
    b.fill(2);
    const s = oa.utf8Column(['x', null, 'zz']);
    // `a` backs two columns (and two Data nodes): freed once
    const t = A.makeTable({ a, a2: a, b });
    expect(t.getChild('a2')!.data[0]!.values.buffer).toBe(a.buffer);
    expect(oa.release(t.getChild('a')!)).toBe(1);
    expect(oa.release(t)).toBe(1); // only b was left
    expect(oa.release(s)).toBe(3); // offsets, bytes, validity
    expect(liveP()).toBe(base);
  });

  it('ignores buffers that are not offheap memory, and arena memory', () => {
    const plain = A.tableFromArrays({ x: Float64Array.from([1, 2, 3]), s: ['a', 'b', null] });
    expect(oa.release(plain)).toBe(0);
    expect(plain.getChild('x')!.get(2)).toBe(3); // untouched
    const ar = oh.arena();
    try {
      const v = ar.allocArray(Float64Array, 16);
      v.fill(7);
      const t = A.makeTable({ v });
      expect(oa.release(t)).toBe(0);
      expect(t.getChild('v')!.get(3)).toBe(7);
    } finally {
      ar.close();
    }
  });

  it('frees mixed tables: a mapped file, an IPC block, allocArray (pool and huge) and checked blocks', () => {
    const p = join(dir, 'mixed.arrow');
    writeFileSync(p, bytes);
    const base = liveP();
    const mapped = oa.readIPC(p);
    const copied = oa.readIPC(bytes);
    const pool = oh.allocArray(Int32Array, 100);
    const huge = oh.allocArray(Float64Array, 3 << 20); // 24 MiB: its own mapping
    pool.fill(1);
    huge.fill(2);
    const t = new A.Table({
      m: mapped.getChild('f64')!,
      c: copied.getChild('utf8')!,
      p: A.makeVector(pool.subarray(0, 100)),
      h: A.makeVector(huge.subarray(0, 100)),
    });
    expect(oa.release(t)).toBe(4);
    expect(oa.release(t)).toBe(0);
    expect(liveP()).toBe(base);
  });

  it('hostile input: non-Arrow values, lookalikes, Proxies, lying fields: TypeError, nothing freed', () => {
    const base = liveP();
    const t = oa.readIPC(bytes);
    const [block] = backing(t);
    const code = (x: unknown) => {
      try {
        oa.release(x as Arrow.Table);
      } catch (e) {
        return [(e as Error).constructor.name, (e as { code?: string }).code];
      }
      return 'no error';
    };
    for (const x of [undefined, null, 42, 'table', {}, [], new Uint8Array(8), { batches: t.batches }, () => t]) {
      expect(code(x), String(x)).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
    }
    const marker = Symbol.for('apache-arrow/Table');
    // claims to be a Table, but its insides are not Arrow's
    expect(code({ [marker]: true, batches: 'nope' })).toEqual(['TypeError', 'ERR_INVALID_ARG_VALUE']);
    expect(code({ [marker]: true, batches: [{}] })).toEqual(['TypeError', 'ERR_INVALID_ARG_VALUE']);
    const data = t.batches[0]!.data.children[0]!;
    const lying = Object.create(data, { values: { value: { buffer: block, byteOffset: 0, byteLength: 8 } } });
    expect(code(lying)).toEqual(['TypeError', 'ERR_INVALID_ARG_VALUE']);
    const throwing = new Proxy(t, { get: (o, k) => (k === 'batches' ? (() => { throw new Error('trap'); })() : Reflect.get(o, k)) });
    expect(code(throwing)).toEqual(['TypeError', 'ERR_INVALID_ARG_VALUE']);
    const { proxy, revoke } = Proxy.revocable(t, {});
    revoke();
    expect(code(proxy)).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
    // a cycle in children cannot hang or overflow
    const cyclic = A.makeData({ type: new A.Struct([]), length: 0, children: [] });
    (cyclic.children as unknown[]).push(cyclic);
    expect(oa.release(cyclic)).toBe(0);
    expect(block!.byteLength).toBeGreaterThan(0); // nothing above freed the table
    // a transparent Proxy of a real table is that table
    expect(oa.release(new Proxy(t, {}))).toBe(1);
    expect(liveP()).toBe(base);
  });

  it('a table dropped without release is freed when V8 collects it', async () => {
    await collectGarbage(); // settle what earlier tests dropped
    const base = liveP();
    (() => {
      const t = oa.readIPC(bytes);
      expect(t.numRows).toBe(100);
    })();
    expect(liveP()).toBeGreaterThan(base);
    await collectGarbage();
    expect(liveP()).toBe(base);
  });
});
