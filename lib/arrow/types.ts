/**
 * Types of `offheap/arrow`. `apache-arrow` is only imported for its types
 * here: the code receives the library at run time (see lib/arrow/api.ts), so
 * the ES module entry uses Arrow's ES module build and the CommonJS entry its
 * CommonJS build, and tables never mix the two.
 */
import type * as Arrow from 'apache-arrow';

/** @internal The `apache-arrow` module namespace the API was created with. */
export type ArrowLib = typeof Arrow;

/** Options of {@link readIPC}. */
export interface ReadIPCOptions {
  /**
   * Only for a path: how the file is mapped (see `mapFile`). `'read'`
   * (default) or `'copy'` (private copy-on-write, for tables you write into).
   * `'write'` is refused: Arrow never needs to write to its input.
   */
  mode?: 'read' | 'copy';
}

/** Options of {@link writeIPC}. */
export interface WriteIPCOptions {
  /** `'file'` (default: the random-access IPC file format) or `'stream'`. */
  format?: 'file' | 'stream';
}

/**
 * A structured-clone-able token for a whole table in transit between
 * threads of this process (see {@link handleOfTable} and
 * {@link adoptTable}). It names one offheap block, the table's *layout*
 * (schema, batch and buffer structure, the hand-off tickets of every data
 * block, and copies of the few small buffers that were not offheap memory),
 * with the same fields and checks as a block handle: the layout cannot be
 * edited, replayed or forged, and the data blocks it names are adopted with
 * it, exactly once.
 */
export interface OffheapTableHandle {
  readonly offheapTable: 1;
  /** Address of the layout block. */
  readonly address: number;
  /** Bytes of the layout block. */
  readonly byteLength: number;
  /** Process the table lives in. */
  readonly pid: number;
  /** Generation of the layout block's hand-off. */
  readonly ticket: number;
  /** Keyed checksum of address, byteLength and ticket. */
  readonly tag: number;
}

/** Options of the variable-width column builders. */
export interface VarWidthBuilderOptions {
  /** Initial value-byte capacity (grows by doubling). Default 64 KiB. */
  byteCapacity?: number;
  /** Initial row capacity (grows by doubling). Default 1024. */
  rowCapacity?: number;
}
