/**
 * readIPC: an Arrow Table over offheap memory, from an IPC file or stream.
 *
 * Arrow JS reads IPC without copying: every buffer of the table is a typed
 * array view into the bytes it was given. So the bytes only have to be
 * offheap memory to begin with: a path is mapped with mapFile (nothing is
 * read; pages load when a column is touched, and the file may be larger than
 * RAM), and bytes are copied once into one offheap block. Both start on a
 * 64-byte boundary (a mapping on a page), and IPC pads every buffer to
 * 8 bytes inside its body, so every typed array Arrow makes is aligned and
 * none is copied.
 */
import { argType, argValue, describe } from '../errors';
import { mapFile } from '../mapfile';
import { viewParts } from '../views';
import { freeOwn, ownBlock } from './blocks';
import type { ArrowLib, ReadIPCOptions } from './types';
import type { Table } from 'apache-arrow';

const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;
const sabByteLength = Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength')!.get!;

function readMode(options: unknown): 'read' | 'copy' {
  if (options === undefined) return 'read';
  if (options === null || typeof options !== 'object') {
    throw argType(`readIPC() options must be an object, received ${describe(options)}`);
  }
  const mode = (options as Record<string, unknown>).mode;
  if (mode === undefined || mode === 'read' || mode === 'copy') return mode ?? 'read';
  throw argValue(`readIPC() options.mode must be 'read' or 'copy', received ${describe(mode)}`, 'range');
}

/** The bytes of `source` (a typed array, DataView, ArrayBuffer or SharedArrayBuffer), or null. */
function sourceBytes(source: unknown): Uint8Array | null {
  const p = viewParts(source);
  if (p !== null) return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
  for (const getLength of [abByteLength, sabByteLength]) {
    try {
      const n = getLength.call(source) as number; // throws unless source is that kind of buffer
      return new Uint8Array(source as ArrayBuffer, 0, n);
    } catch {
      // not this kind
    }
  }
  return null;
}

/** One offheap block holding a copy of `bytes`. */
function copyToBlock(bytes: Uint8Array): Uint8Array {
  const view = new Uint8Array(ownBlock(bytes.byteLength));
  view.set(bytes);
  return view;
}

/**
 * Reads an Arrow IPC file or stream into a Table whose buffers are offheap
 * memory, with no copy to the V8 heap.
 *
 * - `source` a path (string or `file:` URL): the file is mapped (see
 *   `mapFile`), not read: opening costs the same for 1 MB and 100 GB, pages
 *   load as columns are touched, and the file may be larger than RAM (one
 *   view up to 4 GiB on Node.js 20, 2^44 bytes on Node.js >= 22).
 * - `source` bytes (Uint8Array, Buffer, any typed array or DataView,
 *   ArrayBuffer, SharedArrayBuffer): copied once into one offheap block.
 *
 * Free the memory with {@link release}(table) (or let V8 collect every
 * buffer of the table). Do not truncate a mapped file while the table is in
 * use (see `mapFile`: a page past the new end is a SIGBUS).
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` for another kind of source or options
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown mode
 * @throws TypeError `ERR_INVALID_ARG_VALUE` for empty bytes, or bytes that are
 *   not Arrow IPC (Arrow's message is the `cause`); the memory is freed
 * @throws the errors of `mapFile` for a path (`ENOENT`, `EISDIR`,
 *   `ERR_OFFHEAP_EMPTY_FILE`, a RangeError above 4 GiB on Node.js 20, ...)
 */
export function readIPC(A: ArrowLib, source: unknown, options?: ReadIPCOptions): Table {
  const mode = readMode(options);
  let view: Uint8Array;
  if (typeof source === 'string' || source instanceof URL) {
    view = mapFile(source, { mode });
  } else {
    const bytes = sourceBytes(source);
    if (bytes === null) {
      throw argType(`readIPC() needs a path (string or file: URL) or bytes (Uint8Array, Buffer, ArrayBuffer), received ${describe(source)}`);
    }
    if (bytes.byteLength === 0) throw argValue('readIPC() was given empty bytes (detached or zero-length): not Arrow IPC');
    view = copyToBlock(bytes);
  }
  try {
    return tableOf(A, view);
  } catch (e) {
    freeOwn(view.buffer as ArrayBuffer);
    const err = argValue(`readIPC(): not a valid Arrow IPC file or stream (${(e as Error)?.message ?? String(e)})`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/**
 * The table in `bytes`. Arrow's own tableFromIPC loses the schema of a
 * stream with no batches and reads any bytes without a schema message as an
 * empty table; here a schema is required and always kept.
 */
function tableOf(A: ArrowLib, bytes: Uint8Array): Table {
  const reader = A.RecordBatchReader.from(bytes);
  reader.open();
  const schema = reader.schema;
  if (!schema) throw new Error('no schema message');
  // A stream without record batches reads as one placeholder batch (a
  // subclass of RecordBatch, with holes in its Data); the table has none.
  const batches = reader.readAll().filter((b) => b.constructor === A.RecordBatch || b.numRows > 0);
  return new A.Table(schema, batches);
}
