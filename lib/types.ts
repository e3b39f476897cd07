/**
 * Public types of offheap.
 */

/** Every TypedArray kind `allocArray` accepts. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** A TypedArray constructor such as `Float64Array` or `BigInt64Array`. */
export interface TypedArrayConstructor<T extends TypedArray> {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * Allocator statistics (camelCase fields of the C core's `offheap_stats_t`).
 * Byte figures count block sizes, i.e. what the heap really spends: a 100 B
 * request occupies a 128 B block, a 4096 B request exactly 4096 B.
 */
export interface HeapStats {
  /** Successful allocations. */
  allocCount: number;
  /** Frees applied (cross-thread frees count when their owner drains them). */
  freeCount: number;
  /** Block sizes of live blocks. */
  bytesLive: number;
  /** High-water mark of `bytesLive`. */
  bytesPeak: number;
  /** Allocations served from a per-thread slab cache. */
  slabHits: number;
  /** 32 MiB pools mapped. */
  poolCount: number;
  /** Of which file-backed (swap fallback). */
  swapPoolCount: number;
  /** Bytes of pools and huge mappings, live and cached. */
  bytesMapped: number;
  /** Of which file-backed. */
  bytesSwap: number;
  /** Live huge blocks (> 16 MiB, their own mapping). */
  hugeCount: number;
  /** Mapped size of the live huge blocks. */
  hugeBytes: number;
  /** Cross-thread frees queued to this heap, not yet drained. */
  remotePending: number;
  /** Cross-thread frees drained so far. */
  remoteFrees: number;
  /** Free blocks held in slab caches. */
  bytesCached: number;
  /** Process scope: heaps owned by running threads. */
  heapsLive: number;
  /** Process scope: heaps of exited threads not yet merged. */
  heapsPending: number;
  /** Live pool blocks per order: index 0 is 64 B (order 6), index 18 is 16 MiB (order 24). */
  liveByOrder: number[];
}

/** What {@link gc} released (camelCase fields of `offheap_gc_report_t`). */
export interface GcReport {
  /** Cached small blocks returned to the buddy lists. */
  slabBlocksFlushed: number;
  /** Cross-thread frees applied. */
  remoteDrained: number;
  /** Exited threads' heaps merged into this thread's heap. */
  heapsAdopted: number;
  /** Physical memory given back to the OS (madvise / hole punch). */
  bytesReleased: number;
  /** Address space returned (pools, huge mappings). */
  bytesUnmapped: number;
  /** Pools unmapped. */
  poolsUnmapped: number;
  /** Huge mappings unmapped. */
  hugeUnmapped: number;
}

/** Swap fallback policy, see {@link ConfigureOptions.swap}. */
export type SwapPolicy = 'auto' | 'always' | 'never';

/** Options of {@link configure}. Omitted fields are left unchanged. */
export interface ConfigureOptions {
  /**
   * Existing, writable directory for swap files (default: env
   * `OFFHEAP_SWAP_DIR`, else `TMPDIR`, else `/tmp`). A relative path is
   * resolved against the current directory when `configure` is called.
   * Files are unlinked as soon as they are mapped. Process-wide.
   */
  swapDir?: string;
  /**
   * File-backed fallback: `'auto'` maps a file only when anonymous memory is
   * refused (ENOMEM), `'always'` backs every pool and huge block with a file,
   * `'never'` disables it. Default: env `OFFHEAP_SWAP`, else `'auto'`.
   * Process-wide.
   */
  swap?: SwapPolicy;
  /**
   * Checked mode for allocations made by **this thread** from now on: one
   * `ArrayBuffer` per block, detached on free. Blocks allocated before keep
   * their mode and can still be freed.
   */
  checked?: boolean;
  /** Bytes cached per small order per thread (0 disables slab caches). Process-wide. */
  slabBudget?: number;
  /** Bytes of freed huge mappings kept for reuse, per thread. Process-wide. */
  hugeCacheBytes?: number;
  /** Free resident bytes `gc` keeps per heap (hysteresis). Process-wide. */
  retainBytes?: number;
}

/** Current configuration, as returned by {@link getConfig}. */
export interface OffheapConfig {
  swapDir: string | null;
  swap: SwapPolicy;
  checked: boolean;
  slabBudget: number;
  hugeCacheBytes: number;
  retainBytes: number;
}

/**
 * A structured-clone-able token for one block in transit between threads of
 * this process (see {@link handleOf} and {@link adopt}). Treat it as opaque:
 * `ticket` is the hand-off's generation (issued by the allocator, never
 * reused in the process, so a replayed handle of a block freed since is
 * rejected even when the address has been reused), and `tag` is a keyed
 * checksum of the other fields, so edited or forged handles are rejected.
 */
export interface OffheapHandle {
  readonly offheap: 1;
  /** Address of the block. */
  readonly address: number;
  /** Bytes the adopter's view covers (the sender's view length). */
  readonly byteLength: number;
  /** Process the block lives in. */
  readonly pid: number;
  /** Generation of this hand-off (an integer below 2^53). */
  readonly ticket: number;
  /** Keyed checksum of address, byteLength and ticket. */
  readonly tag: number;
}

/** How {@link mapFile} maps a file: see {@link MapFileOptions.mode}. */
export type MapFileMode = 'read' | 'copy' | 'write';

/** Options of {@link mapFile}. */
export interface MapFileOptions {
  /**
   * `'read'` (default): opened read-only, private mapping; the file never
   * changes (a write through the view stays in this process).
   * `'copy'`: private copy-on-write, meant for writing; the file never changes.
   * `'write'`: opened read-write, shared mapping; writes reach the file.
   */
  mode?: MapFileMode;
}
