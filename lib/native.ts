/**
 * Loader and type of the native binding (internal; not part of the public
 * API). The addon is context-aware: every thread (main or worker) that loads
 * it gets its own instance and its own heap.
 *
 * The binding never throws: it returns values and codes (see
 * native/binding/binding.h), and the facade throws.
 */
import * as path from 'node:path';
import type { GcReport, HeapStats } from './types';

/** @internal Chunk exposed to JavaScript as one pinned external buffer. */
export interface NativeChunk {
  buffer: ArrayBuffer;
  base: number;
  data: number;
  size: number;
  huge: boolean;
  fileBacked: boolean;
}

/** @internal */
export interface NativeConfig {
  swapDir: string | null;
  swapPolicy: number;
  slabBudget: number;
  hugeCacheBytes: number;
  retainBytes: number;
}

/**
 * @internal The binding's exports (native/binding/*.cc). Calls return
 * `undefined` when N-API itself refused to run (env shutting down).
 */
export interface NativeBinding {
  /** size -> address, or -errno (<= 0). */
  alloc(size: number): number;
  /** address -> 0 | OFFHEAP_EINVAL. */
  free(addr: number): number;
  /** Register variant of alloc: size in registers[0] -> address or -errno in registers[0]. */
  allocR(): void;
  /** Register variant of free: address in registers[0] -> 0 | OFFHEAP_EINVAL in registers[0]. */
  freeR(): void;
  /** This thread's operand/result registers (4 doubles). */
  readonly registers: ArrayBuffer;
  /** The chunk's buffer, null for a foreign address, or a code (SANDBOX, NAPI_FAILED). */
  exposeChunk(addr: number): NativeChunk | null | number;
  usableSize(addr: number): number;
  /** An own buffer of exactly size bytes, or a code. */
  allocChecked(size: number): ArrayBuffer | number;
  /** 0, EINVAL, DETACHED or NAPI_FAILED. */
  freeChecked(buffer: ArrayBuffer): number;
  /** [ticket, tag], or EINVAL. */
  handoff(addr: number, byteLength: number): [number, number] | number;
  /** [ticket, tag, address], or a code (EINVAL, DETACHED, NAPI_FAILED). */
  handoffChecked(buffer: ArrayBuffer, byteLength: number): [number, number, number] | number;
  /** 0 | EINVAL. */
  adopt(addr: number, byteLength: number, ticket: number, tag: number): number;
  adoptChecked(addr: number, byteLength: number, ticket: number, tag: number): ArrayBuffer | number;
  stats(processWide: boolean): HeapStats;
  gc(): GcReport;
  configure(
    set: number,
    swapDir: string | null,
    swapPolicy: number,
    slabBudget: number,
    hugeCacheBytes: number,
    retainBytes: number,
  ): number;
  getConfig(): NativeConfig;
  threadDetach(): void;
  /** Pins held for JavaScript buffers, process-wide (diagnostics). */
  pinCount(): number;
  readonly MIN_ORDER: number;
  readonly MAX_ORDER: number;
  readonly POOL_SIZE: number;
  readonly MAX_ALLOC: number;
  readonly EINVAL: number;
  readonly ENOMEM: number;
  readonly SANDBOX: number;
  readonly DETACHED: number;
  readonly NAPI_FAILED: number;
}

/** Package root: dist/ sits directly below it. */
export const packageRoot: string = path.resolve(__dirname, '..');

/** @internal Loads this package's copy of the addon (node-gyp-build: build/Release, build/Debug, prebuilds/). */
export function loadBinding(): NativeBinding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
  const b = nodeGypBuild(packageRoot);
  if (typeof b.allocR !== 'function' || typeof b.handoffChecked !== 'function' || !(b.registers instanceof ArrayBuffer)) {
    throw new Error('offheap: the native binding failed to initialise (incomplete exports)');
  }
  return b;
}
