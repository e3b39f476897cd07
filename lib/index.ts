/**
 * offheap: fast, explicitly managed memory outside the V8 heap.
 *
 * Blocks come from a per-thread buddy allocator written in C. In the default
 * **fast mode** every 32 MiB pool is exposed to JavaScript once per thread as
 * one external `ArrayBuffer`, and `alloc` returns a `Uint8Array` view of the
 * block inside it (like `Buffer.allocUnsafe`'s pool: `view.buffer` is the
 * whole pool). In **checked mode** (`configure({ checked: true })`) every
 * block gets its own `ArrayBuffer`, detached on `free`.
 *
 * @packageDocumentation
 */
import { native, type NativeChunk } from './native';
import { OffheapError } from './errors';

export { OffheapError } from './errors';
export type { OffheapErrorCode } from './errors';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

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
   * Existing directory for swap files (default: env `OFFHEAP_SWAP_DIR`, else
   * `TMPDIR`, else `/tmp`). Files are unlinked as soon as they are mapped.
   * Process-wide.
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
 * this process (see {@link handleOf} and {@link adopt}). Treat it as opaque;
 * `tag` is a keyed checksum of the other fields, so edited or forged handles
 * are rejected.
 */
export interface OffheapHandle {
  readonly offheap: 1;
  /** Address of the block. */
  readonly address: number;
  /** Bytes the adopter's view covers (the sender's view length). */
  readonly byteLength: number;
  /** Process the block lives in. */
  readonly pid: number;
  /** Keyed checksum of address and byteLength. */
  readonly tag: number;
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/** Largest request in bytes (2^44, the C core's `OFFHEAP_MAX_ALLOC`). */
export const MAX_ALLOC: number = native.MAX_ALLOC;
/** Pool size in bytes (32 MiB); requests above half of it get their own mapping. */
export const POOL_SIZE: number = native.POOL_SIZE;
/** Smallest block in bytes (64). */
export const MIN_BLOCK: number = 2 ** native.MIN_ORDER;

const EINVAL: number = native.EINVAL;
const ENOMEM: number = native.ENOMEM;
/** Literal copy of MAX_ALLOC for the hot paths (checked against the binding at load). */
const MAX = 17592186044416; // 2 ** 44
if (MAX !== native.MAX_ALLOC) throw new Error('offheap: binding and facade disagree on MAX_ALLOC');

// Hot path: operand and result go through this thread's registers, which is
// about twice as cheap as N-API argument passing (see native/binding/addon.cc).
const R = new Float64Array(native.registers);
const nAlloc = native.allocR;
const nFree = native.freeR;

// ---------------------------------------------------------------------------
// Per-thread state (this module is instantiated once per thread / env)
// ---------------------------------------------------------------------------

interface PoolView {
  buffer: ArrayBuffer;
  data: number;
  end: number;
}

/** Exposed pools, keyed by pool index (address / POOL_SIZE). Pinned while referenced. */
let pools = new Map<number, PoolView>();
/** Last pool used by alloc: one-entry cache in front of `pools`. */
let lastBuf: ArrayBuffer = new ArrayBuffer(0);
let lastData = -1;
let lastEnd = -1;

/**
 * Every fast-mode buffer we created -> its data address; negated for a huge
 * block's own buffer (not kept in the free cache, so it can be unmapped).
 */
const bufData = new WeakMap<ArrayBuffer, number>();
/** Checked-mode buffers (one per block). */
const checkedBufs = new WeakSet<ArrayBuffer>();
/** One-entry cache of free(): last pool buffer and its data address. */
let freeBuf: ArrayBuffer | undefined;
let freeData = 0;

let checkedMode = false;

const typedArrayKinds = new Set<unknown>([
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]);

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (v === null || typeof v !== 'object') return String(v);
  return `an instance of ${(v as object).constructor?.name ?? 'Object'}`;
}

function badSize(what: string, v: unknown): Error {
  if (typeof v !== 'number') {
    return new TypeError(`offheap: ${what} must be a number, received ${describe(v)}`);
  }
  return new RangeError(
    `offheap: ${what} must be an integer from 1 to ${MAX_ALLOC} (2^44), received ${v}`,
  );
}

function allocFailure(code: number, size: number): Error {
  if (code === -ENOMEM || code === 0) {
    return new OffheapError(
      'ERR_OFFHEAP_OOM',
      `offheap: out of memory allocating ${size} bytes (anonymous and file-backed memory refused)`,
    );
  }
  if (code === EINVAL) {
    return new RangeError(`offheap: the allocator rejected size ${size}`);
  }
  return new OffheapError('ERR_OFFHEAP_OOM', `offheap: allocation of ${size} bytes failed (errno ${-code})`);
}

function invalidFree(): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_INVALID_FREE',
    'offheap: free() needs a view whose first byte is the start of a live block returned by ' +
      'alloc/allocZeroed/allocArray/adopt in this process (double free, foreign view, ' +
      'subarray not at the block start, or a block handed off with handleOf)',
  );
}

function invalidView(): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_INVALID_VIEW',
    'offheap: handleOf() needs a non-empty view whose first byte is the start of a live block ' +
      'owned here (not freed, not already handed off)',
  );
}

function invalidHandle(why: string): OffheapError {
  return new OffheapError('ERR_OFFHEAP_INVALID_HANDLE', `offheap: invalid handle: ${why}`);
}

function rethrowNative(e: unknown): never {
  if (e instanceof Error && (e as { code?: unknown }).code === 'ERR_OFFHEAP_SANDBOX') {
    throw new OffheapError('ERR_OFFHEAP_SANDBOX', e.message, { cause: e });
  }
  throw e;
}

// ---------------------------------------------------------------------------
// Chunks
// ---------------------------------------------------------------------------

function expose(addr: number): NativeChunk {
  let c: NativeChunk | null;
  try {
    c = native.exposeChunk(addr);
  } catch (e) {
    rethrowNative(e);
  }
  if (c === null) {
    // Cannot happen for a block we own; keep a clear error rather than a crash.
    throw new OffheapError('ERR_OFFHEAP_INVALID_VIEW', `offheap: no chunk contains address ${addr}`);
  }
  return c;
}

/** Buffer and data address of the chunk holding block `addr`; updates caches. */
function chunkFor(addr: number): PoolView {
  const key = Math.floor(addr / POOL_SIZE);
  let p = pools.get(key);
  if (p === undefined || addr < p.data || addr >= p.end) {
    const c = expose(addr);
    if (c.huge) {
      bufData.set(c.buffer, -c.data);
      return { buffer: c.buffer, data: c.data, end: c.data + c.size };
    }
    bufData.set(c.buffer, c.data);
    p = { buffer: c.buffer, data: c.data, end: c.data + c.size };
    pools.set(key, p);
  }
  lastBuf = p.buffer;
  lastData = p.data;
  lastEnd = p.end;
  return p;
}

function checkedBuffer(size: number): ArrayBuffer {
  let r: ArrayBuffer | number;
  try {
    r = native.allocChecked(size);
  } catch (e) {
    rethrowNative(e);
  }
  if (typeof r === 'number') throw allocFailure(r, size);
  checkedBufs.add(r);
  return r;
}

// ---------------------------------------------------------------------------
// Allocation
// ---------------------------------------------------------------------------

/**
 * Allocates `size` bytes outside the V8 heap and returns a `Uint8Array` of
 * exactly `size` bytes. Contents are unspecified (like
 * `Buffer.allocUnsafe`); use {@link allocZeroed} for zeroed memory.
 *
 * The block is 64-byte aligned (pool blocks are aligned to their own
 * power-of-two size) and stays valid until {@link free}; nothing frees it
 * automatically in fast mode.
 *
 * In fast mode `view.buffer` is the whole 32 MiB pool the block lives in and
 * `view.byteOffset` its position there: do not hand `view.buffer` to code
 * that assumes it owns the whole buffer, and do not use a view after freeing
 * it (it may then show another allocation's bytes).
 *
 * @param size - bytes, an integer from 1 to {@link MAX_ALLOC}
 * @throws TypeError if `size` is not a number
 * @throws RangeError if `size` is not an integer in range (NaN, Infinity, fractional, < 1, > 2^44)
 * @throws {@link OffheapError} `ERR_OFFHEAP_OOM` when no memory can be had;
 *   `ERR_OFFHEAP_SANDBOX` in runtimes without external buffers
 */
export function alloc(size: number): Uint8Array {
  if (typeof size !== 'number' || !(size >= 1 && size <= MAX) || !Number.isInteger(size)) {
    throw badSize('size', size);
  }
  if (checkedMode) return new Uint8Array(checkedBuffer(size), 0, size);
  R[0] = size;
  nAlloc();
  const a = R[0];
  if (a <= 0) throw allocFailure(a, size);
  if (a >= lastData && a < lastEnd) return new Uint8Array(lastBuf, a - lastData, size);
  const p = chunkFor(a);
  return new Uint8Array(p.buffer, a - p.data, size);
}

/**
 * Like {@link alloc}, but every byte is zero. (Blocks are recycled, so
 * {@link alloc} may return old contents; this one clears them.)
 *
 * @param size - bytes, an integer from 1 to {@link MAX_ALLOC}
 * @throws the same errors as {@link alloc}
 */
export function allocZeroed(size: number): Uint8Array {
  const v = alloc(size);
  v.fill(0);
  return v;
}

/**
 * Allocates a typed array of `length` elements outside the V8 heap, e.g.
 * `allocArray(Float64Array, 1 << 20)` (8 MiB, exactly one 8 MiB block).
 * Works for every TypedArray kind, including `BigInt64Array`,
 * `BigUint64Array` and `Uint8ClampedArray`. Contents are unspecified.
 * Free it with {@link free}.
 *
 * @param ctor - a TypedArray constructor
 * @param length - elements, an integer >= 1 with `length * BYTES_PER_ELEMENT <= 2^44`
 * @throws TypeError if `ctor` is not a TypedArray constructor or `length` is not a number
 * @throws RangeError if `length` is out of range
 * @throws {@link OffheapError} `ERR_OFFHEAP_OOM`
 */
export function allocArray<T extends TypedArray>(ctor: TypedArrayConstructor<T>, length: number): T {
  if (!typedArrayKinds.has(ctor)) {
    throw new TypeError(
      `offheap: allocArray needs a TypedArray constructor (Int8Array ... BigUint64Array), received ${describe(ctor)}`,
    );
  }
  const bpe = ctor.BYTES_PER_ELEMENT;
  if (typeof length !== 'number' || !(length >= 1 && length * bpe <= MAX_ALLOC) || !Number.isInteger(length)) {
    if (typeof length !== 'number') throw badSize('length', length);
    throw new RangeError(
      `offheap: length must be an integer from 1 to ${MAX_ALLOC / bpe} for ${ctor.name}, received ${length}`,
    );
  }
  const size = length * bpe;
  if (checkedMode) return new ctor(checkedBuffer(size), 0, length);
  R[0] = size;
  nAlloc();
  const a = R[0];
  if (a <= 0) throw allocFailure(a, size);
  if (a >= lastData && a < lastEnd) return new ctor(lastBuf, a - lastData, length);
  const p = chunkFor(a);
  return new ctor(p.buffer, a - p.data, length);
}

// ---------------------------------------------------------------------------
// Free
// ---------------------------------------------------------------------------

/**
 * Returns a block to the allocator. `view` may be any `ArrayBufferView`
 * (typed array of any kind, `DataView`, `Buffer`) over the same buffer whose
 * first byte is the block's first byte: the view returned by
 * {@link alloc}/{@link allocZeroed}/{@link allocArray}/{@link adopt}, or a
 * view built from it at offset 0. Any thread may free any block, including
 * blocks of threads that have exited.
 *
 * Fast mode: the view stays usable as memory but must not be used (it may
 * show another allocation's bytes later). Checked mode: the buffer is
 * detached; every view of it has length 0 from now on.
 *
 * @throws TypeError if `view` is not an ArrayBufferView
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_FREE` for a double free,
 *   a foreign view, a view not starting a block, or a block handed off with
 *   {@link handleOf}. Nothing is freed or corrupted then.
 */
export function free(view: ArrayBufferView): void {
  if (view === null || typeof view !== 'object') throw notAView('free', view);
  const buf = view.buffer as ArrayBuffer;
  let data: number;
  if (buf === freeBuf) {
    data = freeData;
  } else {
    const d = bufData.get(buf);
    if (d === undefined) return freeSlow(view);
    if (d >= 0) {
      freeBuf = buf;
      freeData = d;
      data = d;
    } else {
      data = -d;
    }
  }
  R[0] = data + view.byteOffset;
  nFree();
  if (R[0] !== 0) throw invalidFree();
}

function notAView(fn: string, v: unknown): TypeError {
  return new TypeError(`offheap: ${fn}() needs an ArrayBufferView (a typed array or DataView), received ${describe(v)}`);
}

function freeSlow(view: ArrayBufferView): void {
  if (!ArrayBuffer.isView(view)) throw notAView('free', view);
  const buf = view.buffer as ArrayBuffer;
  if (checkedBufs.has(buf) && view.byteOffset === 0 && native.freeChecked(buf) === 0) return;
  throw invalidFree();
}

// ---------------------------------------------------------------------------
// Maintenance, stats, configuration
// ---------------------------------------------------------------------------

/**
 * Runs the allocator's maintenance on this thread's heap and reports what it
 * released: flushes slab caches, applies frees queued by other threads,
 * merges heaps of exited threads, gives physical pages of large free blocks
 * back to the OS and unmaps wholly free pools and cached huge mappings that
 * no JavaScript buffer still views.
 *
 * It also drops this thread's cache of pool buffers, so pools JavaScript no
 * longer views become unpinned once V8 collects their buffers and a later
 * `gc()` can unmap them.
 */
export function gc(): GcReport {
  pools = new Map();
  lastBuf = new ArrayBuffer(0);
  lastData = -1;
  lastEnd = -1;
  freeBuf = undefined;
  freeData = 0;
  return native.gc();
}

/**
 * Allocator statistics.
 *
 * @param scope - `'thread'` (default): this thread's heap; `'process'`: every
 *   heap of the process, including heaps of exited threads not yet merged
 * @throws TypeError for any other scope
 */
export function stats(scope: 'thread' | 'process' = 'thread'): HeapStats {
  if (scope !== 'thread' && scope !== 'process') {
    throw new TypeError(`offheap: stats scope must be 'thread' or 'process', received ${describe(scope)}`);
  }
  return native.stats(scope === 'process');
}

const CFG_SWAP_DIR = 1;
const CFG_SWAP_POLICY = 2;
const CFG_SLAB_BUDGET = 4;
const CFG_HUGE_CACHE_BYTES = 8;
const CFG_RETAIN_BYTES = 16;
const swapPolicies: readonly SwapPolicy[] = ['auto', 'always', 'never'];
const configKeys = new Set(['swapDir', 'swap', 'checked', 'slabBudget', 'hugeCacheBytes', 'retainBytes']);

function byteOption(name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`offheap: configure ${name} must be a number, received ${describe(v)}`);
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`offheap: configure ${name} must be a non-negative integer, received ${v}`);
  }
  return v;
}

/**
 * Configures the allocator. Everything except `checked` is process-wide
 * (all threads); `checked` applies to this thread's future allocations.
 * Omitted options are unchanged. Nothing is applied if any option is
 * rejected.
 *
 * @throws TypeError for a non-object, an unknown option or a wrong type
 * @throws RangeError for an unknown `swap` policy or a negative / fractional byte count
 * @throws {@link OffheapError} `ERR_OFFHEAP_CONFIG` when the core rejects the
 *   values (swap directory missing or not a directory, budget out of range)
 */
export function configure(options: ConfigureOptions): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`offheap: configure() needs an options object, received ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!configKeys.has(k)) throw new TypeError(`offheap: unknown configure option ${JSON.stringify(k)}`);
  }
  let set = 0;
  let swapDir: string | null = null;
  let policy = 0;
  let slab = 0;
  let huge = 0;
  let retain = 0;
  const o = options as Record<string, unknown>;
  if (o.swapDir !== undefined) {
    if (typeof o.swapDir !== 'string') {
      throw new TypeError(`offheap: configure swapDir must be a string, received ${describe(o.swapDir)}`);
    }
    if (o.swapDir.length === 0 || o.swapDir.includes('\0')) {
      throw new OffheapError('ERR_OFFHEAP_CONFIG', 'offheap: configure swapDir must be a non-empty path');
    }
    swapDir = o.swapDir;
    set |= CFG_SWAP_DIR;
  }
  if (o.swap !== undefined) {
    if (typeof o.swap !== 'string') {
      throw new TypeError(`offheap: configure swap must be 'auto', 'always' or 'never', received ${describe(o.swap)}`);
    }
    policy = swapPolicies.indexOf(o.swap as SwapPolicy);
    if (policy < 0) {
      throw new RangeError(`offheap: configure swap must be 'auto', 'always' or 'never', received ${describe(o.swap)}`);
    }
    set |= CFG_SWAP_POLICY;
  }
  if (o.checked !== undefined && typeof o.checked !== 'boolean') {
    throw new TypeError(`offheap: configure checked must be a boolean, received ${describe(o.checked)}`);
  }
  if (o.slabBudget !== undefined) {
    slab = byteOption('slabBudget', o.slabBudget);
    set |= CFG_SLAB_BUDGET;
  }
  if (o.hugeCacheBytes !== undefined) {
    huge = byteOption('hugeCacheBytes', o.hugeCacheBytes);
    set |= CFG_HUGE_CACHE_BYTES;
  }
  if (o.retainBytes !== undefined) {
    retain = byteOption('retainBytes', o.retainBytes);
    set |= CFG_RETAIN_BYTES;
  }
  if (set !== 0) {
    const r = native.configure(set, swapDir, policy, slab, huge, retain);
    if (r !== 0) {
      throw new OffheapError(
        'ERR_OFFHEAP_CONFIG',
        `offheap: configuration rejected by the allocator (${JSON.stringify(options)}): ` +
          'swapDir must be an existing directory, budgets within range',
      );
    }
  }
  if (o.checked !== undefined) checkedMode = o.checked as boolean;
}

/** The current configuration (process-wide values, and this thread's `checked`). */
export function getConfig(): OffheapConfig {
  const c = native.getConfig();
  return {
    swapDir: c.swapDir,
    swap: swapPolicies[c.swapPolicy] ?? 'auto',
    checked: checkedMode,
    slabBudget: c.slabBudget,
    hugeCacheBytes: c.hugeCacheBytes,
    retainBytes: c.retainBytes,
  };
}

// ---------------------------------------------------------------------------
// Hand-off between threads
// ---------------------------------------------------------------------------

/**
 * Hands a block to another thread of this process without copying. Returns
 * a small plain object to send with `postMessage` (do not put offheap
 * buffers themselves in `postMessage`: Node 20 copies external buffers and
 * Node >= 21 throws). The receiver calls {@link adopt} exactly once and
 * from then on owns (and frees) the block.
 *
 * From this call on the block is "in transit": `free` of it throws
 * `ERR_OFFHEAP_INVALID_FREE` and a second `handleOf` throws. In checked mode
 * the sender's buffer is detached. In fast mode the sender's view still
 * shows the memory: do not use it after the hand-off (not detectable).
 *
 * The adopter's view covers `view.byteLength` bytes from the block start.
 *
 * @throws TypeError if `view` is not an ArrayBufferView
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_VIEW` if `view` is empty or
 *   does not start a live block owned here
 */
export function handleOf(view: ArrayBufferView): OffheapHandle {
  if (!ArrayBuffer.isView(view)) throw notAView('handleOf', view);
  const buf = view.buffer as ArrayBuffer;
  const byteLength = view.byteLength;
  if (byteLength === 0) throw invalidView();
  const d = bufData.get(buf);
  let address: number;
  let tag: number;
  if (d !== undefined) {
    address = (d >= 0 ? d : -d) + view.byteOffset;
    tag = native.handoff(address, byteLength);
    if (tag <= 0) throw invalidView();
  } else if (checkedBufs.has(buf) && view.byteOffset === 0) {
    const r = native.handoffChecked(buf, byteLength);
    if (typeof r === 'number') throw invalidView();
    address = r[0];
    tag = r[1];
  } else {
    throw invalidView();
  }
  return { offheap: 1, address, byteLength, pid: process.pid, tag };
}

/**
 * Takes ownership of a block handed over with {@link handleOf} (from any
 * thread of this process, including one that has exited since) and returns
 * a view over the same memory: a `Uint8Array` by default, or a typed array
 * of `ctor` (the handle's byteLength must then be a multiple of its element
 * size). Succeeds exactly once per handle. The caller now owns the block
 * and frees it with {@link free}. The view is a fast or checked one
 * following this thread's mode.
 *
 * @throws TypeError if `handle` is not an object or `ctor` is not a TypedArray constructor
 * @throws RangeError if the byteLength is not a multiple of `ctor.BYTES_PER_ELEMENT`
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_HANDLE` for a handle that
 *   is malformed, forged or edited, from another process, already adopted,
 *   or whose block was freed
 */
export function adopt(handle: OffheapHandle): Uint8Array;
export function adopt<T extends TypedArray>(handle: OffheapHandle, ctor: TypedArrayConstructor<T>): T;
export function adopt(handle: OffheapHandle, ctor: TypedArrayConstructor<TypedArray> = Uint8Array): TypedArray {
  if (handle === null || typeof handle !== 'object') {
    throw new TypeError(`offheap: adopt() needs a handle object from handleOf(), received ${describe(handle)}`);
  }
  if (!typedArrayKinds.has(ctor)) {
    throw new TypeError(`offheap: adopt() ctor must be a TypedArray constructor, received ${describe(ctor)}`);
  }
  const h = handle as unknown as Record<string, unknown>;
  const { address, byteLength, pid, tag } = h;
  if (h.offheap !== 1) throw invalidHandle('not an offheap handle (missing offheap: 1)');
  if (typeof address !== 'number' || typeof byteLength !== 'number' || typeof pid !== 'number' || typeof tag !== 'number') {
    throw invalidHandle('address, byteLength, pid and tag must be numbers');
  }
  if (!Number.isSafeInteger(address) || address <= 0 || !Number.isSafeInteger(byteLength) || byteLength < 1) {
    throw invalidHandle(`bad address ${address} or byteLength ${byteLength}`);
  }
  if (pid !== process.pid) throw invalidHandle(`it belongs to process ${pid}, this is ${process.pid}`);
  const bpe = ctor.BYTES_PER_ELEMENT;
  if (byteLength % bpe !== 0) {
    throw new RangeError(`offheap: adopt(): byteLength ${byteLength} is not a multiple of ${ctor.name}.BYTES_PER_ELEMENT`);
  }
  if (checkedMode) {
    let r: ArrayBuffer | number;
    try {
      r = native.adoptChecked(address, byteLength, tag);
    } catch (e) {
      rethrowNative(e);
    }
    if (typeof r === 'number') throw invalidHandle('forged, already adopted, or its block is gone');
    checkedBufs.add(r);
    return new ctor(r, 0, byteLength / bpe);
  }
  if (native.adopt(address, byteLength, tag) !== 0) {
    throw invalidHandle('forged, already adopted, or its block is gone');
  }
  let p: PoolView;
  try {
    p = chunkFor(address);
  } catch (e) {
    native.free(address);
    throw e;
  }
  return new ctor(p.buffer, address - p.data, byteLength / bpe);
}
