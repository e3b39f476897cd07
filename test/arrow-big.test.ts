// offheap/arrow: readIPC of an IPC file larger than 4 GiB. The file is
// sparse: an IPC stream whose one record batch declares a 5 GiB Float64 body,
// written as the schema and batch headers, a few marked values, and a hole
// (ftruncate), so it costs a few KiB of disk. Node >= 22 maps it as one view;
// Node 20 refuses it with a RangeError before anything is mapped.
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { A, oa } from './arrow-helpers';
import { NODE_MAJOR, oh } from './helpers';

const require = createRequire(import.meta.url);
// Arrow's IPC metadata classes (not re-exported by its main entry)
const M = require('apache-arrow/ipc/metadata/message') as {
  RecordBatch: new (length: number, nodes: unknown[], buffers: unknown[], compression: null) => unknown;
  FieldNode: new (length: number, nullCount: number) => unknown;
  BufferRegion: new (offset: number, length: number) => unknown;
};

const dir = mkdtempSync(join(tmpdir(), 'offheap-arrow-big-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 5 * 2 ** 27; // 671,088,640 float64 = 5 GiB
const BODY = ROWS * 8;
const MARKS: [number, number][] = [[0, 1.5], [2 ** 29 + 7, -2.25], [ROWS - 1, 42]]; // row 2^29 + 7 lies past 4 GiB

/** One IPC message: continuation marker, metadata length, metadata padded to 8. */
function frame(metadata: Uint8Array): Uint8Array {
  const len = Math.ceil(metadata.byteLength / 8) * 8;
  const out = new Uint8Array(8 + len);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, -1, true);
  dv.setInt32(4, len, true);
  out.set(metadata, 8);
  return out;
}

/** Writes the sparse IPC stream; returns its path and size. */
function sparseIPC(): { path: string; size: number } {
  const schema = new A.Schema([new A.Field('x', new A.Float64(), false)]);
  const head = frame(A.Message.encode(A.Message.from(schema)));
  const rb = new M.RecordBatch(ROWS, [new M.FieldNode(ROWS, 0)], [new M.BufferRegion(0, 0), new M.BufferRegion(0, BODY)], null);
  const batch = frame(A.Message.encode(A.Message.from(rb as never, BODY)));
  const bodyAt = head.byteLength + batch.byteLength;
  const path = join(dir, 'big.arrows');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.byteLength, 0);
    writeSync(fd, batch, 0, batch.byteLength, head.byteLength);
    for (const [row, v] of MARKS) writeSync(fd, Float64Array.of(v), 0, 8, bodyAt + row * 8);
    const eos = Int32Array.of(-1, 0);
    writeSync(fd, eos, 0, 8, bodyAt + BODY);
    ftruncateSync(fd, bodyAt + BODY + 8);
  } finally {
    closeSync(fd);
  }
  return { path, size: bodyAt + BODY + 8 };
}

describe('readIPC of an IPC file larger than 4 GiB', () => {
  it.runIf(NODE_MAJOR >= 22)('Node >= 22: one mapping, one 5 GiB column; values past 4 GiB read right; release unmaps it', () => {
    const { path, size } = sparseIPC();
    expect(size).toBeGreaterThan(2 ** 32);
    const t = oa.readIPC(path);
    expect(t.numRows).toBe(ROWS);
    const x = t.getChild('x')!;
    for (const [row, v] of MARKS) expect(x.get(row)).toBe(v);
    expect(x.get(2 ** 29)).toBe(0); // a hole reads as zeros
    const values = t.batches[0]!.data.children[0]!.values as Float64Array;
    expect(values.length).toBe(ROWS);
    expect(values.buffer.byteLength).toBe(size); // the whole file is one view
    expect(oa.release(t)).toBe(1);
    expect(values.buffer.byteLength).toBe(0);
    expect(oa.release(t)).toBe(0);
  });

  it.runIf(NODE_MAJOR < 22)('Node 20: a RangeError (ERR_OUT_OF_RANGE) naming the 4 GiB limit, nothing mapped', () => {
    const { path } = sparseIPC();
    const before = oh.stats('process');
    let err: unknown;
    try {
      oa.readIPC(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as { code: string }).code).toBe('ERR_OUT_OF_RANGE');
    expect((err as Error).message).toMatch(/4 GiB|MAX_LENGTH|4294967296/);
    const after = oh.stats('process');
    expect(after.bytesMapped).toBe(before.bytesMapped);
    expect(after.bytesLive).toBe(before.bytesLive);
  });
});
