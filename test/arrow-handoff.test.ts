// offheap/arrow: handleOfTable / adoptTable. A table moves between threads
// with no copy of its data, exactly once; forged, edited and replayed handles
// are refused without consuming or leaking anything.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Arrow from 'apache-arrow';
import type * as Layout from '../lib/arrow/layout';
import { A, ARROW_DIST, backing, oa } from './arrow-helpers';
import { DIST, expectOffheapError, oh } from './helpers';

const require = createRequire(import.meta.url);
const layout: typeof Layout = require(`${dirname(ARROW_DIST)}/layout.js`);

const dir = mkdtempSync(join(tmpdir(), 'offheap-arrow-handoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const liveP = () => oh.stats('process').bytesLive;
/** bytesLive once frees queued by other threads (and exited threads' heaps) are applied. */
const settled = () => {
  oh.gc();
  return liveP();
};

/** A table over every kind of offheap memory: an IPC block, allocArray (pool), a builder column, a dictionary, and a plain V8 column. */
function mixedTable(n: number) {
  const a = oh.allocArray(Float64Array, n);
  const b = oh.allocArray(Int32Array, n);
  for (let i = 0; i < n; i++) {
    a[i] = i;
    b[i] = i % 10;
  }
  const src = new A.Table({
    d: A.vectorFromArray(Array.from({ length: n }, (_, i) => ['x', 'y', null][i % 3]), new A.Dictionary(new A.Utf8(), new A.Int32())),
  });
  const ipc = oa.readIPC(A.tableToIPC(src, 'file'));
  const s = oa.utf8Column(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `row ${i}`)));
  return new A.Table({
    a: A.makeVector(a),
    b: A.makeVector(b),
    d: ipc.getChild('d')!,
    s,
    plain: A.makeVector(Float32Array.from({ length: n }, (_, i) => i / 2)),
  });
}

function expectEqualTables(x: Arrow.Table, y: Arrow.Table) {
  expect(Buffer.compare(Buffer.from(A.tableToIPC(x, 'stream')), Buffer.from(A.tableToIPC(y, 'stream')))).toBe(0);
}

/** Runs `body` in a worker with `oa` (offheap/arrow), `oh` (offheap), `A` (apache-arrow), `data` bound; resolves with what it posts. */
function inWorker(body: string, data: unknown): Promise<unknown> {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const oh = require(${JSON.stringify(DIST)});
    const oa = require(${JSON.stringify(ARROW_DIST)});
    const A = require('apache-arrow');
    const data = workerData;
    Promise.resolve((() => { ${body} })()).then((r) => parentPort.postMessage(r), (e) => parentPort.postMessage({ error: String(e && e.stack || e), code: e && e.code }));
  `;
  return new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: data });
    let result: unknown;
    w.on('message', (m) => (result = m));
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exited with ${code}`))));
  });
}

describe('handleOfTable / adoptTable', () => {
  it('in one thread: the adopted table equals the original, over the same memory, and the sender\'s one-block buffers are detached', () => {
    const base = liveP();
    const t = mixedTable(1000);
    const expected = A.tableToIPC(t, 'stream');
    const before = backing(t);
    const h = oa.handleOfTable(t);
    expect(Object.keys(h).sort()).toEqual(['address', 'byteLength', 'offheapTable', 'pid', 'tag', 'ticket']);
    // the sender no longer owns it: one-block buffers are detached, release frees nothing
    expect(t.getChild('s')!.data[0]!.valueOffsets.byteLength).toBe(0);
    expect(oa.release(t)).toBe(0);
    const u = oa.adoptTable(structuredClone(h));
    expect(Buffer.compare(Buffer.from(A.tableToIPC(u, 'stream')), Buffer.from(expected))).toBe(0);
    expect(u.batches[0]!.data.children[0]!.type.toString()).toBe('Float64');
    expect(u.getChild('d')!.get(2)).toBeNull();
    expect(u.getChild('s')!.get(8)).toBe('row 8');
    // fast-mode allocArray columns: the adopted buffer shows the very same memory
    const a0 = t.getChild('a')!.data[0]!.values as Float64Array;
    const a1 = u.getChild('a')!.data[0]!.values as Float64Array;
    a1[5] = -5;
    expect(a0[5]).toBe(-5);
    expect(before.size).toBeGreaterThan(3);
    // a handle is adopted exactly once
    expectOffheapError(() => oa.adoptTable(h), 'ERR_OFFHEAP_INVALID_HANDLE');
    // blocks: a, b, the IPC block, 3 builder blocks; plus the layout block (it holds the copied plain column)
    expect(oa.release(u)).toBe(7);
    expect(liveP()).toBe(base);
  });

  it('a table handed to a worker is summed there and released there; memory returns to the baseline', async () => {
    const base = settled();
    const n = 200_000;
    const t = mixedTable(n);
    let want = 0;
    for (let i = 0; i < n; i++) if (i % 10 < 5) want += i;
    const h = oa.handleOfTable(t);
    const r = (await inWorker(
      `const t = oa.adoptTable(data);
       const a = t.getChild('a'), b = t.getChild('b');
       let sum = 0;
       for (let i = 0; i < t.numRows; i++) if (b.get(i) < 5) sum += a.get(i);
       let replay; try { oa.adoptTable(data); } catch (e) { replay = e.code; }
       const s = t.getChild('s');
       const out = { sum, rows: t.numRows, nulls: s.nullCount, s9: s.get(9), d4: t.getChild('d').get(4), replay };
       out.freed = oa.release(t);
       out.again = oa.release(t);
       return out;`,
      h,
    )) as Record<string, unknown>;
    expect(r.error).toBeUndefined();
    expect(r).toEqual({ sum: want, rows: n, nulls: Math.ceil(n / 7), s9: 'row 9', d4: 'y', replay: 'ERR_OFFHEAP_INVALID_HANDLE', freed: 7, again: 0 });
    expect(settled()).toBe(base); // the worker's frees of this thread's blocks, applied
  });

  it('a mapped file (readIPC of a path) travels as its mapping', async () => {
    const src = A.tableFromArrays({ x: Float64Array.from({ length: 5000 }, (_, i) => i * 2) });
    const p = join(dir, 'handoff.arrow');
    writeFileSync(p, A.tableToIPC(src, 'file'));
    const t = oa.readIPC(p);
    const [mapping] = backing(t);
    const h = oa.handleOfTable(t);
    expect(mapping!.byteLength).toBe(0); // detached: the mapping moved
    const r = (await inWorker(
      `const t = oa.adoptTable(data);
       let s = 0; for (const v of t.getChild('x')) s += v;
       return { s, len: [...new Set(t.batches[0].data.children.map((c) => c.values.buffer.byteLength))], freed: oa.release(t) };`,
      h,
    )) as Record<string, unknown>;
    expect(r).toEqual({ s: 4999 * 5000, len: [A.tableToIPC(src, 'file').byteLength], freed: 1 });
  });

  it('a worker hands a table back; the main thread adopts and releases it', async () => {
    const base = settled();
    const h = await inWorker(
      `const a = oh.allocArray(BigInt64Array, 1000);
       for (let i = 0; i < 1000; i++) a[i] = BigInt(i) * 3n;
       return oa.handleOfTable(new A.Table({ a: A.makeVector(a), s: oa.utf8Column(['q', null, 'rrr']) }).slice(0, 3));`,
      null,
    );
    const t = oa.adoptTable(h as never); // the worker has exited: its blocks outlive it
    expect(t.getChild('a')!.get(2)).toBe(6n);
    expect(t.getChild('s')!.get(2)).toBe('rrr');
    expect(oa.release(t)).toBe(4);
    expect(settled()).toBe(base); // the exited worker's heap, merged here, had its blocks freed
  });

  it('refuses forged, edited and replayed handles without consuming the real one', () => {
    const base = liveP();
    const t = mixedTable(100);
    const expected = A.tableToIPC(t, 'stream');
    const h = oa.handleOfTable(t);
    const edits: Record<string, unknown>[] = [
      { address: h.address + 64 },
      { byteLength: h.byteLength - 1 },
      { byteLength: h.byteLength + 64 },
      { ticket: h.ticket + 1 },
      { tag: h.tag + 1 },
      { pid: h.pid + 1 },
      { offheapTable: 2 },
      { address: String(h.address) },
      { ticket: -1 },
      { address: Number.MAX_SAFE_INTEGER + 2 },
    ];
    for (const e of edits) expectOffheapError(() => oa.adoptTable({ ...h, ...e } as never), 'ERR_OFFHEAP_INVALID_HANDLE');
    // a block handle is not a table handle, and the other way round
    const v = oh.alloc(64);
    const bh = oh.handleOf(v);
    expectOffheapError(() => oa.adoptTable(bh as never), 'ERR_OFFHEAP_INVALID_HANDLE');
    expectOffheapError(() => oh.adopt(h as never), 'ERR_OFFHEAP_INVALID_HANDLE');
    oh.free(oh.adopt(bh));
    for (const x of [undefined, null, 1, 'handle', Symbol('h')]) {
      expect(() => oa.adoptTable(x as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    // a getter that answers differently on each read cannot pass one value to the checks and another to the core
    let reads = 0;
    const shifty = { ...h, get ticket() { return ++reads === 1 ? h.ticket : h.ticket + 1; } };
    const u = oa.adoptTable(shifty as never); // read once: the true ticket
    expect(reads).toBe(1);
    const copy = oa.readIPC(expected);
    expectEqualTables(u, copy);
    oa.release(copy);
    expectOffheapError(() => oa.adoptTable(h), 'ERR_OFFHEAP_INVALID_HANDLE'); // replay
    expect(oa.release(u)).toBe(7);
    expect(liveP()).toBe(base);
  });

  it('refuses a forged layout block (a handle made with handleOf over crafted bytes), freeing it', () => {
    const base = liveP();
    const victim = oh.allocArray(Float64Array, 8);
    victim.fill(3);
    const schema = A.Message.encode(A.Message.from(new A.Schema([new A.Field('x', new A.Float64(), false)])));
    const forge = (l: unknown, sch = schema): Uint8Array => {
      const json = new TextEncoder().encode(JSON.stringify(l));
      const size = layout.plan(json, sch, 0).size;
      const block = oh.alloc(size);
      layout.write(block, json, sch, []);
      return block;
    };
    const node = (ref: unknown) => [0, 8, 0, [0, ref, 0, 0], [], [], -1];
    const struct = (child: unknown) => [0, 8, 0, [0, 0, 0, 0], [], [child], -1];
    const cases: [string, Uint8Array][] = [
      ['garbage', oh.alloc(256).fill(7)],
      ['bad JSON', (() => { const b = forge({}); b[40] = 0xff; return b; })()],
      ['no blocks', forge({ batches: [], dicts: [] })],
      ['a ref past its block', forge({ blocks: [[victim.byteOffset + 1, 64, 1, 1]], batches: [{ length: 8, metadata: [], data: struct(node([0, 0, 4096, 8])) }], dicts: [] })],
      ['a ref to a missing block', forge({ blocks: [], batches: [{ length: 8, metadata: [], data: struct(node([3, 0, 8, 8])) }], dicts: [] })],
      ['an unknown buffer kind', forge({ blocks: [], batches: [{ length: 8, metadata: [], data: struct(node([-1, 0, 0, 99])) }], dicts: [] })],
      ['children that disagree with the schema', forge({ blocks: [], batches: [{ length: 8, metadata: [], data: struct(0).slice(0, 5).concat([[], -1]) }], dicts: [] })],
      ['a dictionary where the type has none', forge({ blocks: [], batches: [{ length: 0, metadata: [], data: [0, 0, 0, [0, 0, 0, 0], [], [[0, 0, 0, [0, 0, 0, 0], [], [], 0]], -1] }], dicts: [[]] })],
      ['a block with a made-up ticket', forge({ blocks: [[1 << 30, 64, 12345, 678]], batches: [], dicts: [] })],
      ['a schema that is not one', forge({ blocks: [], batches: [], dicts: [] }, new Uint8Array(16).fill(1))],
      ['a batch length that lies', forge({ blocks: [], batches: [{ length: 9, metadata: [], data: struct(0) }], dicts: [] })],
      ['a malformed nest', forge({ blocks: [], batches: [{ length: 8, metadata: [], data: JSON.parse('['.repeat(300) + ']'.repeat(300)) }], dicts: [] })],
    ];
    for (const [what, block] of cases) {
      const bh = oh.handleOf(block);
      expectOffheapError(() => oa.adoptTable({ ...bh, offheapTable: 1 } as never), 'ERR_OFFHEAP_INVALID_HANDLE');
      // the forged block was adopted and freed: its handle is spent
      expectOffheapError(() => oh.adopt(bh), 'ERR_OFFHEAP_INVALID_HANDLE');
      void what;
    }
    expect(victim[0]).toBe(3);
    oh.free(victim);
    expect(liveP()).toBe(base);
  });

  it('handleOfTable refuses what cannot travel, with nothing left in transit', () => {
    const base = liveP();
    const col = oa.utf8Column(['a']);
    for (const x of [undefined, {}, col, A.tableFromArrays({ x: [1] }).batches[0]]) {
      expect(() => oa.handleOfTable(x as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(oa.release(col)).toBe(2);
    // a slice of a fast-mode block: the block's start is not in the table
    const a = oh.allocArray(Float64Array, 100);
    const sliced = A.makeTable({ a: a.subarray(10) });
    expectOffheapError(() => oa.handleOfTable(sliced), 'ERR_OFFHEAP_INVALID_VIEW');
    // the same table with the whole block too: travels, the slice inside it
    const s = oa.utf8Column(['p', 'q']);
    const both = new A.Table({ a: A.makeVector(a.subarray(0, 2)), b: A.makeVector(a.subarray(10, 12)), s: s.slice(0, 2) });
    expectOffheapError(() => oa.handleOfTable(new A.Table({ x: A.makeVector(a.subarray(10)), s })), 'ERR_OFFHEAP_INVALID_VIEW');
    expect(s.data[0]!.valueOffsets.byteLength).toBeGreaterThan(0); // refused before anything moved
    const u = oa.adoptTable(oa.handleOfTable(both));
    expect(u.getChild('b')!.data[0]!.values.byteOffset - u.getChild('a')!.data[0]!.values.byteOffset).toBe(80);
    // released and handed-off tables cannot travel (again)
    expect(() => oa.handleOfTable(both)).toThrow(expect.objectContaining({ code: 'ERR_OFFHEAP_DETACHED' }));
    expect(oa.release(u)).toBe(3);
    const r = oa.readIPC(A.tableToIPC(A.tableFromArrays({ x: [1, 2] })));
    oa.release(r);
    expect(() => oa.handleOfTable(r)).toThrow(expect.objectContaining({ code: 'ERR_OFFHEAP_DETACHED' }));
    // arena memory is released with its arena only
    const ar = oh.arena();
    expectOffheapError(() => oa.handleOfTable(A.makeTable({ v: ar.allocArray(Float64Array, 8) })), 'ERR_OFFHEAP_ARENA_VIEW');
    ar.close();
    expect(liveP()).toBe(base);
  });
});
