/**
 * writeIPC: writes a table as an Arrow IPC file or stream straight to a
 * file. Arrow's tableToIPC joins the whole output into one new buffer (as
 * large as the table); here Arrow's writer hands each piece (message
 * headers, padding, and the column buffers themselves, which are views of
 * the table's memory) to a sink that writes it to the file at once. Small
 * pieces are gathered in a 64 KiB staging buffer so they cost one write
 * call, not one each; column buffers go from their own memory to the file.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { argType, argValue, describe } from '../errors';
import { arrowKind } from './objects';
import type { ArrowLib, WriteIPCOptions } from './types';

const STAGE = 64 * 1024;
/** Largest single write (the kernel writes at most ~2 GiB per call anyway). */
const MAX_WRITE = 1 << 30;

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) {
    off += writeSync(fd, bytes, off, Math.min(bytes.byteLength - off, MAX_WRITE));
  }
}

/** A file sink for Arrow's writer: it is given each piece synchronously, in order. */
function fileSink(A: ArrowLib, fd: number) {
  const stage = new Uint8Array(STAGE);
  let staged = 0;
  let total = 0;
  const flush = () => {
    if (staged > 0) writeAll(fd, stage.subarray(0, staged));
    staged = 0;
  };
  // Arrow's writer keeps an AsyncByteQueue it writes into; one of ours goes to the file instead.
  class FileSink extends A.AsyncByteQueue {
    override write(chunk: unknown): void {
      const b = chunk as Uint8Array;
      if (b.byteLength === 0) return;
      total += b.byteLength;
      if (b.byteLength > STAGE - staged) flush();
      if (b.byteLength >= STAGE) writeAll(fd, b);
      else {
        stage.set(b, staged);
        staged += b.byteLength;
      }
    }
  }
  return { sink: new FileSink(), flush, written: () => total };
}

function readFormat(options: unknown): 'file' | 'stream' {
  if (options === undefined) return 'file';
  if (options === null || typeof options !== 'object') throw argType(`writeIPC() options must be an object, received ${describe(options)}`);
  const f = (options as Record<string, unknown>).format;
  if (f === undefined || f === 'file' || f === 'stream') return f ?? 'file';
  throw argValue(`writeIPC() options.format must be 'file' or 'stream', received ${describe(f)}`, 'range');
}

/**
 * Writes `table` to `path` as an Arrow IPC file (default) or stream without
 * building the output in memory: column buffers are written from where they
 * are. The file appears complete or not at all (written to a temporary name
 * in the same directory, then renamed). Read it back with
 * {@link readIPC}(path).
 *
 * @returns the number of bytes written
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `table` is not an Arrow Table or `path` not a string
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown format
 * @throws Node's file errors (`ENOENT` for a missing directory, `EACCES`, `ENOSPC`, ...)
 */
export function writeIPC(A: ArrowLib, table: unknown, path: unknown, options?: WriteIPCOptions): number {
  if (arrowKind(table) !== 'Table') throw argType(`writeIPC() needs an Arrow Table, received ${describe(table)}`);
  if (typeof path !== 'string' || path.length === 0) throw argType(`writeIPC() needs a path string, received ${describe(path)}`);
  const format = readFormat(options);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  let ok = false;
  let bytes = 0;
  try {
    const { sink, flush, written } = fileSink(A, fd);
    const writer = format === 'file' ? new A.RecordBatchFileWriter() : new A.RecordBatchStreamWriter();
    writer.reset(sink as never);
    writer.write(table as never);
    writer.finish();
    flush();
    bytes = written();
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
    }
  }
  renameSync(tmp, path);
  return bytes;
}
