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
 * This file only re-exports; each concern lives in its own module.
 *
 * @packageDocumentation
 */
export type {
  ConfigureOptions,
  GcReport,
  HeapStats,
  MapFileMode,
  MapFileOptions,
  OffheapConfig,
  OffheapHandle,
  SwapPolicy,
  TypedArray,
  TypedArrayConstructor,
} from './types';
export { OffheapError } from './errors';
export type { OffheapErrorCode } from './errors';
export { MAX_ALLOC, MIN_BLOCK, POOL_SIZE } from './constants';
export { alloc, allocArray, allocZeroed } from './alloc';
export { free } from './free';
export { adopt, handleOf } from './handles';
export { configure, getConfig } from './config';
export { gc, stats } from './maintenance';
export { arena, withArena, type Arena, type ArenaOptions } from './arena';
export { mapFile } from './mapfile';
