/**
 * Which memory belongs to an arena, so that `free` of an arena view can say
 * so. Consulted only on free's error path: arena blocks are never freeable
 * through `free` in the first place (fast-mode blocks are held "in transit"
 * by the core, see lib/arena.ts; checked-mode chunk buffers are not checked
 * buffers of this thread), so the normal free path does no extra work.
 *
 * Shared by every copy of the package loaded in the thread (like the thread
 * state, lib/state.ts), so an arena view made through one copy is recognised
 * by another.
 */
import { OffheapError, invalidFree } from './errors';

/** @internal */
export interface ArenaRegistry {
  /** Fast-mode arena blocks (chunks and large blocks): block address -> end address. */
  readonly blocks: Map<number, number>;
  /** Of those, the huge ones (own mapping, not aligned to their size): searched linearly. */
  readonly huge: Set<number>;
  /** Checked-mode arena buffers (one per chunk or large block). */
  readonly bufs: WeakSet<ArrayBuffer>;
}

const KEY = Symbol.for('offheap.arenaRegistry.v1');

function shared(): ArenaRegistry {
  const g = globalThis as unknown as Record<symbol, ArenaRegistry | undefined>;
  const existing = g[KEY];
  if (existing !== undefined) return existing;
  const r: ArenaRegistry = { blocks: new Map(), huge: new Set(), bufs: new WeakSet() };
  Object.defineProperty(globalThis, KEY, { value: r, enumerable: false, writable: false, configurable: false });
  return r;
}

/** @internal This thread's arena registry. */
export const arenaRegistry: ArenaRegistry = shared();

/** Largest pool block: 16 MiB (2^24). Pool blocks are aligned to their power-of-two size. */
const MAX_POOL_ORDER = 24;

/** @internal True if `addr` lies in a live fast-mode arena block of this thread. */
export function isArenaAddress(addr: number): boolean {
  const { blocks, huge } = arenaRegistry;
  if (blocks.size === 0 || !(addr > 0)) return false;
  let size = 64;
  for (let k = 6; k <= MAX_POOL_ORDER; k++, size *= 2) {
    const start = addr - (addr % size);
    const end = blocks.get(start);
    if (end !== undefined && addr < end) return true;
  }
  for (const start of huge) {
    if (addr >= start && addr < blocks.get(start)!) return true;
  }
  return false;
}

/** @internal OffheapError `ERR_OFFHEAP_ARENA_VIEW`. */
export function arenaViewError(fn = 'free'): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_ARENA_VIEW',
    `offheap: ${fn}() was given a view of arena memory: arena memory is released only with its arena ` +
      '(arena.reset() or arena.close()), never block by block. Nothing was freed',
  );
}

/** @internal The error for a failed free of address `addr` (a fast-mode view). */
export function freeFailure(addr: number): OffheapError {
  return isArenaAddress(addr) ? arenaViewError() : invalidFree();
}

/** @internal The error for a failed free of a view over `buf` that is not a pool buffer. */
export function freeFailureOf(buf: ArrayBufferLike): OffheapError {
  return arenaRegistry.bufs.has(buf as ArrayBuffer) ? arenaViewError() : invalidFree();
}
