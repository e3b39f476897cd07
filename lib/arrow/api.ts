/**
 * The `offheap/arrow` API over one copy of apache-arrow. The CommonJS entry
 * (lib/arrow/index.ts) creates it with `require('apache-arrow')`, the ES
 * module entry (dist/arrow/index.mjs, written by scripts/build-dist.mjs)
 * with `import('apache-arrow')`: Arrow's two builds are separate module
 * graphs, and tables made by one must be built from the same one.
 */
import type { Binary, Data, RecordBatch, Table, Utf8, Vector } from 'apache-arrow';
import { adoptTable } from './adopt';
import { handleOfTable } from './handoff';
import { readIPC } from './read';
import { release } from './release';
import type { ArrowLib, OffheapTableHandle, ReadIPCOptions, VarWidthBuilderOptions, WriteIPCOptions } from './types';
import { binaryBuilder, binaryColumn, utf8Builder, utf8Column, validityBitmap, type ColumnBuilder } from './varwidth';
import { writeIPC } from './write';

/** The functions of `offheap/arrow`. */
export interface ArrowApi {
  /**
   * An Arrow Table from an IPC file or stream whose buffers are offheap
   * memory, never copied to the V8 heap: a path is mapped (`mapFile`), bytes
   * are copied once into one offheap block. See lib/arrow/read.ts.
   */
  readIPC(source: string | URL | ArrayBufferView | ArrayBufferLike, options?: ReadIPCOptions): Table;
  /** Frees the offheap blocks and mappings behind a Table, RecordBatch, Vector or Data exactly once; returns how many. */
  release(x: Table | RecordBatch | Vector | Data): number;
  /** Hands a table to another thread without copying; the receiver calls adoptTable exactly once. */
  handleOfTable(table: Table): OffheapTableHandle;
  /** Takes a table handed over with handleOfTable. */
  adoptTable(handle: OffheapTableHandle): Table;
  /** A utf8 column in offheap blocks (offsets, bytes, validity). */
  utf8Column(values: Iterable<string | null | undefined>): Vector<Utf8>;
  /** A binary column in offheap blocks. */
  binaryColumn(values: Iterable<ArrayBufferView | null | undefined>): Vector<Binary>;
  /** A growable utf8 column builder writing into offheap blocks. */
  utf8Builder(options?: VarWidthBuilderOptions): ColumnBuilder<string, Utf8>;
  /** A growable binary column builder writing into offheap blocks. */
  binaryBuilder(options?: VarWidthBuilderOptions): ColumnBuilder<ArrayBufferView, Binary>;
  /** An offheap validity bitmap (bit i set when valid[i] is truthy) and its null count. */
  validityBitmap(valid: ArrayLike<unknown>): { bitmap: Uint8Array; nullCount: number };
  /** Writes a table to a file as Arrow IPC (file or stream format) without building the output in memory. */
  writeIPC(table: Table, path: string, options?: WriteIPCOptions): number;
}

const needed = ['RecordBatchReader', 'Table', 'RecordBatch', 'Data', 'Vector', 'Message', 'Struct', 'makeData', 'makeVector'];

/** @internal The API over `A`, an apache-arrow module namespace. */
export function createArrowApi(A: ArrowLib): ArrowApi {
  const missing = needed.filter((k) => typeof (A as unknown as Record<string, unknown>)[k] !== 'function');
  if (missing.length > 0) {
    throw new Error(`offheap/arrow: the apache-arrow module loaded lacks ${missing.join(', ')} (offheap/arrow needs apache-arrow 21)`);
  }
  return {
    readIPC: (source, options) => readIPC(A, source, options),
    release: (x) => release(x),
    handleOfTable: (table) => handleOfTable(A, table),
    adoptTable: (handle) => adoptTable(A, handle),
    utf8Column: (values) => utf8Column(A, values),
    binaryColumn: (values) => binaryColumn(A, values),
    utf8Builder: (options) => utf8Builder(A, options),
    binaryBuilder: (options) => binaryBuilder(A, options),
    validityBitmap: (valid) => validityBitmap(valid),
    writeIPC: (table, path, options) => writeIPC(A, table, path, options),
  };
}

/** @internal The error when apache-arrow cannot be loaded. */
export function arrowMissing(cause: unknown): Error {
  const e = new Error(
    'offheap/arrow needs the apache-arrow package, an optional peer dependency of offheap: ' +
      `npm install apache-arrow@21 (loading it failed: ${(cause as Error)?.message ?? String(cause)})`,
    { cause },
  );
  // keep Node's code (MODULE_NOT_FOUND, ERR_MODULE_NOT_FOUND): what code detecting optional packages checks
  return Object.assign(e, { code: (cause as { code?: unknown })?.code ?? 'MODULE_NOT_FOUND' });
}
