/**
 * Scratch arenas: bump allocation inside offheap blocks the arena owns
 * (its chunks), released all at once by `reset()` or `close()`.
 *
 * The fast path is pure JavaScript: a `Uint8Array` (or any TypedArray) over
 * the current chunk's buffer at the next aligned offset. Native calls happen
 * only when a chunk is first taken, for requests larger than a chunk, and on
 * `reset` / `close`.
 *
 * Fast mode: a chunk is a block of the thread's heap, viewed through its
 * pool's buffer (like `alloc`), and held "in transit" by the core
 * (`offheap_handoff`) for the arena's lifetime, so `free()` of any arena view
 * is refused by the allocator itself and the normal free path does no extra
 * work; only its error path asks the arena registry (lib/arena-registry.ts)
 * so the error can say "arena view". Chunks are taken back
 * (`offheap_adopt`) and freed on close.
 *
 * Checked mode: a chunk is a checked buffer of its own (one external
 * ArrayBuffer per chunk), never registered as a checked buffer of the
 * thread (so `free` refuses its views). `reset` / `close` free it, which
 * detaches it: every view made from it has length 0 from then on; `reset`
 * then makes a fresh buffer for each chunk it keeps. An arena that script
 * forgets is released by V8's GC, like any checked block.
 */
import { badSize, checkLength, checkTypedArrayCtor } from './args';
import { MAX_REQUEST } from './constants';
import { arenaRegistry as REG } from './arena-registry';
import { allocFailure, nativeFailure } from './codes';
import { OffheapError, argType, argValue, describe, outOfRange } from './errors';
import { chunkFor } from './pool';
import { native, state as S } from './state';
import type { TypedArray, TypedArrayConstructor } from './types';

/** Options of {@link arena}. */
export interface ArenaOptions {
  /**
   * Bytes per chunk: an integer from 4096 (4 KiB) to 2^30 (1 GiB), rounded
   * up to a power of two (a block of exactly that size). Default 65536
   * (64 KiB). Requests larger than a chunk get a block of their own.
   */
  chunkSize?: number;
  /**
   * Alignment of every allocation in bytes: a power of two from 1 to 4096.
   * Default 64. `allocArray` aligns to at least the element size too.
   */
  align?: number;
  /**
   * Checked arena: `reset` / `close` detach every view made since, so stale
   * views have length 0. Default: this thread's mode
   * (`configure({ checked })`) when the arena is created.
   */
  checked?: boolean;
}

const KiB = 1024;
const DEFAULT_CHUNK = 64 * KiB;
const MIN_CHUNK = 4 * KiB;
const MAX_CHUNK = 2 ** 30;
const DEFAULT_ALIGN = 64;
const MAX_ALIGN = 4096;
const HUGE_ABOVE = 16 * 1024 * KiB; // pool blocks are at most 16 MiB; larger ones are huge mappings
const optionKeys = new Set(['chunkSize', 'align', 'checked']);

const R = S.R;
const nAlloc = native.allocR;
const nFree = native.freeR;
const LIMIT = MAX_REQUEST;
const dispose: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('nodejs.dispose') as typeof Symbol.dispose);

/** One block the arena owns: a chunk or a large request's block. */
interface Block {
  /** Address (fast mode); 0 in checked mode. */
  readonly addr: number;
  /** Buffer showing it: the pool's buffer (fast) or its own (checked). */
  buf: ArrayBuffer;
  /** Offset of the block in `buf`. */
  base: number;
  /** Block bytes (what the heap spends). */
  readonly size: number;
  /** Hand-off ticket and tag holding the block (fast mode). */
  readonly ticket: number;
  readonly tag: number;
}

function closedError(fn: string): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_CLOSED',
    `offheap: arena.${fn}() called on a closed arena (its memory went back to the heap with close())`,
  );
}

/** A fast-mode block of `size` bytes, held in transit so free() refuses it. */
function fastBlock(size: number): Block {
  R[0] = size;
  nAlloc();
  const a = R[0]!;
  if (a <= 0) throw allocFailure(a, size);
  const bytes = native.usableSize(a);
  let h: [number, number] | number;
  let p;
  try {
    p = chunkFor(a);
    h = native.handoff(a, bytes);
  } catch (e) {
    native.free(a);
    throw e;
  }
  if (typeof h !== 'object') {
    native.free(a);
    throw h === -native.ENOMEM ? allocFailure(h, 0) : nativeFailure('an arena chunk', h);
  }
  REG.blocks.set(a, a + bytes);
  if (bytes > HUGE_ABOVE) REG.huge.add(a);
  return { addr: a, buf: p.buffer, base: a - p.data, size: bytes, ticket: h[0], tag: h[1] };
}

/** A checked-mode block: its own buffer, which free() refuses. */
function checkedBlock(size: number): Block {
  const r = native.allocChecked(size);
  if (!(r instanceof ArrayBuffer)) throw allocFailure(r, size);
  REG.bufs.add(r);
  return { addr: 0, buf: r, base: 0, size, ticket: 0, tag: 0 };
}

/**
 * Returns a block to the heap. Never throws: a block the core will not take
 * back (cannot happen for a block this arena holds) is left alone rather
 * than freed twice.
 */
function release(b: Block): void {
  if (b.addr === 0) {
    // Detaches the buffer. DETACHED: script moved it (transfer()); the moved
    // buffer owns the memory now and releases it when collected.
    native.freeChecked(b.buf);
    return;
  }
  REG.blocks.delete(b.addr);
  REG.huge.delete(b.addr);
  if (native.adopt(b.addr, b.size, b.ticket, b.tag) !== 0) return;
  R[0] = b.addr;
  nFree();
}

function readOptions(options: unknown): { chunkSize: number; mask: number; checked: boolean } {
  if (options === undefined) return { chunkSize: DEFAULT_CHUNK, mask: DEFAULT_ALIGN - 1, checked: S.checkedMode };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argType(`arena() options must be an object, received ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!optionKeys.has(k)) throw argValue(`unknown arena option ${JSON.stringify(k)} (known: chunkSize, align, checked)`);
  }
  // Each option is read exactly once: a getter or Proxy cannot show one
  // value to the checks and another to the arena.
  const o = options as Record<string, unknown>;
  const chunkSize = o.chunkSize;
  const align = o.align;
  const checked = o.checked;
  let size = DEFAULT_CHUNK;
  if (chunkSize !== undefined) {
    if (typeof chunkSize !== 'number') throw argType(`arena chunkSize must be of type number, received ${describe(chunkSize)}`);
    if (!(chunkSize >= MIN_CHUNK && chunkSize <= MAX_CHUNK) || !Number.isInteger(chunkSize)) {
      throw outOfRange(`arena chunkSize must be an integer from ${MIN_CHUNK} to ${MAX_CHUNK} (2^30), received ${chunkSize}`);
    }
    size = 2 ** Math.ceil(Math.log2(chunkSize));
  }
  let al = DEFAULT_ALIGN;
  if (align !== undefined) {
    if (typeof align !== 'number') throw argType(`arena align must be of type number, received ${describe(align)}`);
    if (!(align >= 1 && align <= MAX_ALIGN) || !Number.isInteger(align)) {
      throw outOfRange(`arena align must be a power of two from 1 to ${MAX_ALIGN}, received ${align}`);
    }
    if ((align & (align - 1)) !== 0) {
      throw argValue(`arena align must be a power of two from 1 to ${MAX_ALIGN}, received ${align}`, 'range');
    }
    al = align;
  }
  if (checked !== undefined && typeof checked !== 'boolean') {
    throw argType(`arena checked must be of type boolean, received ${describe(checked)}`);
  }
  return { chunkSize: size, mask: al - 1, checked: checked ?? S.checkedMode };
}

/**
 * A scratch arena: see {@link arena}. Per thread: it cannot be posted to
 * another thread (`postMessage` throws a `DataCloneError` naming this), and
 * its views are ordinary offheap views (posting one copies it).
 */
export class Arena {
  /**
   * Present only so that `postMessage(arena)` / `structuredClone(arena)`
   * fail with a clear `DataCloneError` (a Symbol cannot be cloned) instead
   * of delivering an empty object: an arena belongs to the thread that made it.
   */
  declare readonly threadBound: symbol;

  // current chunk: views are (buf, base + offset); offsets in [0, limit]
  #buf: ArrayBuffer = new ArrayBuffer(0);
  #base = 0;
  #off = 0;
  #limit = 0; // 0 when there is no current chunk or the arena is closed
  #idx = -1; // index of the current chunk in #chunks
  readonly #mask: number;
  readonly #chunkSize: number;
  readonly #checked: boolean;
  #chunks: Block[] = [];
  #big: Block[] = [];
  #usedDone = 0; // bytes used in earlier chunks and large blocks since the last reset
  #closed = false;

  /** @internal Use {@link arena}. */
  constructor(options?: ArenaOptions) {
    const o = readOptions(options);
    this.#chunkSize = o.chunkSize;
    this.#mask = o.mask;
    this.#checked = o.checked;
    Object.defineProperty(this, 'threadBound', {
      // short: Node >= 22 shortens long descriptions in the DataCloneError message
      value: Symbol('offheap arena cannot be posted to another thread'),
      enumerable: true,
    });
  }

  /**
   * `size` bytes from the arena, aligned to the arena's `align`. Contents
   * are unspecified (chunks are reused after `reset`). Valid until the
   * arena's next `reset()` or `close()`; never pass it to `free()`.
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE` / RangeError `ERR_OUT_OF_RANGE` for a bad size
   * @throws {@link OffheapError} `ERR_OFFHEAP_CLOSED` after close; `ERR_OFFHEAP_OOM`
   */
  alloc(size: number): Uint8Array {
    if (typeof size !== 'number' || !(size >= 1 && size <= LIMIT) || !Number.isInteger(size)) {
      throw badSize('size', size);
    }
    const start = (this.#off + this.#mask) & ~this.#mask;
    const end = start + size;
    if (end <= this.#limit) {
      this.#off = end;
      try {
        return new Uint8Array(this.#buf, this.#base + start, size);
      } catch {
        return this.#redo(Uint8Array, start, size);
      }
    }
    return this.#slow(Uint8Array, size, size);
  }

  /** Like {@link Arena.alloc}, with every byte zero. */
  allocZeroed(size: number): Uint8Array {
    return this.alloc(size).fill(0);
  }

  /**
   * A typed array of `length` elements from the arena, aligned to the
   * arena's `align` and to at least its element size. Every TypedArray
   * kind, including `BigInt64Array`.
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE` for a non-TypedArray constructor or a non-number length
   * @throws RangeError `ERR_OUT_OF_RANGE` for a bad length
   * @throws {@link OffheapError} `ERR_OFFHEAP_CLOSED` after close; `ERR_OFFHEAP_OOM`
   */
  allocArray<T extends TypedArray>(ctor: TypedArrayConstructor<T>, length: number): T {
    checkTypedArrayCtor('arena.allocArray', ctor);
    const bytes = checkLength(ctor, length);
    const m = this.#mask | (ctor.BYTES_PER_ELEMENT - 1);
    const start = (this.#off + m) & ~m;
    const end = start + bytes;
    if (end <= this.#limit) {
      this.#off = end;
      try {
        return new ctor(this.#buf, this.#base + start, length);
      } catch {
        return this.#redo(ctor, start, length);
      }
    }
    return this.#slow(ctor, length, bytes);
  }

  /**
   * Releases everything allocated since the arena was made or last reset,
   * at once. Large blocks go back to the heap; the chunks this cycle used
   * are kept for the next one (chunks kept from an earlier, bigger cycle
   * and unused in this one are returned). Fast mode: old views still show
   * the memory and will see new data (do not use them). Checked mode: old
   * views have length 0.
   *
   * @throws {@link OffheapError} `ERR_OFFHEAP_CLOSED` after close
   */
  reset(): void {
    if (this.#closed) throw closedError('reset');
    for (const b of this.#big) release(b);
    this.#big = [];
    const chunks = this.#chunks;
    const keep = Math.min(chunks.length, Math.max(1, this.#idx + 1));
    for (let i = keep; i < chunks.length; i++) release(chunks[i]!);
    chunks.length = keep;
    if (this.#checked) {
      // detach the used chunks' buffers (stale views: length 0) and re-make them
      const used = Math.min(keep, this.#idx + 1);
      let n = 0;
      for (let i = 0; i < keep; i++) {
        const b = chunks[i]!;
        if (i < used || b.buf.byteLength === 0) {
          release(b);
          try {
            chunks[n++] = checkedBlock(this.#chunkSize);
          } catch {
            // out of memory: keep fewer chunks; the next alloc asks again (and throws if it must)
          }
        } else {
          chunks[n++] = b;
        }
      }
      chunks.length = n;
    }
    this.#usedDone = 0;
    this.#use(chunks.length > 0 ? 0 : -1);
  }

  /**
   * Returns every chunk and large block to the heap. Later calls of
   * `alloc`/`allocZeroed`/`allocArray`/`reset` throw `ERR_OFFHEAP_CLOSED`;
   * `close()` again does nothing. Checked mode: every view has length 0.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const blocks = this.#chunks.concat(this.#big);
    this.#chunks = [];
    this.#big = [];
    this.#usedDone = 0;
    this.#use(-1);
    for (const b of blocks) release(b);
  }

  /** Same as {@link Arena.close}: `using a = arena()` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Bytes handed out since the last reset (with alignment padding; large requests at their size). 0 once closed. */
  get bytesUsed(): number {
    return this.#usedDone + (this.#idx >= 0 ? this.#off : 0);
  }

  /** Bytes of heap blocks the arena holds (chunks and large blocks). 0 once closed. */
  get bytesReserved(): number {
    let n = 0;
    for (const b of this.#chunks) n += b.size;
    for (const b of this.#big) n += b.size;
    return n;
  }

  /** Makes chunk `i` current (-1: none). */
  #use(i: number): void {
    this.#idx = i;
    this.#off = 0;
    if (i < 0) {
      this.#buf = new ArrayBuffer(0);
      this.#base = 0;
      this.#limit = 0;
      return;
    }
    const b = this.#chunks[i]!;
    this.#buf = b.buf;
    this.#base = b.base;
    this.#limit = this.#chunkSize;
  }

  /** The request does not fit the current chunk: a large block, or the next chunk. */
  #slow<T extends TypedArray>(ctor: TypedArrayConstructor<T>, length: number, bytes: number): T {
    if (this.#closed) throw closedError(ctor === (Uint8Array as unknown) ? 'alloc' : 'allocArray');
    if (bytes > this.#chunkSize) {
      const b = this.#checked ? checkedBlock(bytes) : fastBlock(bytes);
      let v: T;
      try {
        v = new ctor(b.buf, b.base, length);
      } catch (e) {
        release(b);
        throw e;
      }
      this.#big.push(b);
      this.#usedDone += bytes;
      return v;
    }
    const next = this.#idx + 1;
    if (next >= this.#chunks.length) {
      // nothing changes if this throws
      this.#chunks.push(this.#checked ? checkedBlock(this.#chunkSize) : fastBlock(this.#chunkSize));
    }
    if (this.#idx >= 0) this.#usedDone += this.#off;
    this.#use(next);
    this.#off = bytes; // a chunk starts at offset 0, aligned to at least 4 KiB
    try {
      return new ctor(this.#buf, this.#base, length);
    } catch {
      return this.#redo(ctor, 0, length);
    }
  }

  /**
   * The current chunk's buffer was detached by script (`transfer()`).
   * Fast mode: the pool is re-exposed and the view made again. Checked
   * mode: the moved buffer owns that chunk's memory now, so the arena
   * drops the chunk and carries on in a fresh one.
   */
  #redo<T extends TypedArray>(ctor: TypedArrayConstructor<T>, start: number, length: number): T {
    const b = this.#chunks[this.#idx]!;
    if (!this.#checked) {
      const p = chunkFor(b.addr);
      b.buf = p.buffer;
      b.base = b.addr - p.data;
      this.#buf = b.buf;
      this.#base = b.base;
      return new ctor(this.#buf, this.#base + start, length);
    }
    this.#chunks.splice(this.#idx, 1); // its memory is released when the moved buffer is collected
    this.#usedDone += start;
    // no current chunk; the next one taken is the one after the dropped chunk (or a new one)
    this.#idx -= 1;
    this.#off = 0;
    this.#limit = 0;
    this.#buf = new ArrayBuffer(0);
    return this.#slow(ctor, length, length * ctor.BYTES_PER_ELEMENT);
  }
}

/**
 * A scratch arena: many short-lived buffers released together (the rows of
 * one query, the scratch of one request). `a.alloc(n)` costs a typed-array
 * construction (no native call on the fast path); `a.reset()` releases
 * everything at once; `a.close()` (or `using a = arena()`) returns the
 * memory to the heap.
 *
 * ```ts
 * using a = arena();
 * const row = a.allocArray(Float64Array, 16);
 * ```
 *
 * Arena views must not be passed to {@link free} (`ERR_OFFHEAP_ARENA_VIEW`)
 * or {@link handleOf}; an arena belongs to the thread that made it.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` for non-object options or wrong option types;
 *   `ERR_INVALID_ARG_VALUE` for an unknown option
 * @throws RangeError `ERR_OUT_OF_RANGE` for `chunkSize` / `align` out of range;
 *   `ERR_INVALID_ARG_VALUE` for an `align` that is not a power of two
 */
export function arena(options?: ArenaOptions): Arena {
  return new Arena(options);
}

/**
 * Runs `fn` with a fresh arena and closes it when `fn` returns or throws,
 * or, if `fn` returns a promise (an async function), when that promise
 * settles. Returns what `fn` returns. Views from the arena must not escape
 * `fn` (they are released, or in checked mode detached, on return).
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `fn` is not a function; the errors of {@link arena}
 */
export function withArena<T>(fn: (a: Arena) => Promise<T>, options?: ArenaOptions): Promise<T>;
export function withArena<T>(fn: (a: Arena) => T, options?: ArenaOptions): T;
export function withArena<T>(fn: (a: Arena) => T | Promise<T>, options?: ArenaOptions): T | Promise<T> {
  if (typeof fn !== 'function') throw argType(`withArena() needs a function, received ${describe(fn)}`);
  const a = new Arena(options);
  let r: T | Promise<T>;
  let then: unknown;
  try {
    r = fn(a);
    then = r !== null && (typeof r === 'object' || typeof r === 'function') ? (r as { then?: unknown }).then : undefined;
  } catch (e) {
    a.close();
    throw e;
  }
  if (typeof then !== 'function') {
    a.close();
    return r;
  }
  return Promise.resolve(r).then(
    (v) => {
      a.close();
      return v;
    },
    (e: unknown) => {
      a.close();
      throw e;
    },
  );
}

// `Symbol.dispose` exists on every supported Node line (20.4+); the alias is
// for runtimes that only have the registered symbol.
if (dispose !== Symbol.dispose) {
  Object.defineProperty(Arena.prototype, dispose, { value: Arena.prototype.close, writable: true, configurable: true });
}
