/**
 * Loader and type of the native binding (internal; not part of the public
 * API). The addon is context-aware: every thread (main or worker) that loads
 * this module gets its own instance and its own heap.
 */
import * as path from 'node:path';
import type { GcReport, HeapStats } from './index';

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

/** @internal The binding's exports (native/binding/addon.cc). */
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
  exposeChunk(addr: number): NativeChunk | null;
  usableSize(addr: number): number;
  allocChecked(size: number): ArrayBuffer | number;
  freeChecked(buffer: ArrayBuffer): number;
  handoff(addr: number, byteLength: number): number;
  handoffChecked(buffer: ArrayBuffer, byteLength: number): [number, number] | number;
  adopt(addr: number, byteLength: number, tag: number): number;
  adoptChecked(addr: number, byteLength: number, tag: number): ArrayBuffer | number;
  /** The binding builds exactly the public shapes. */
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
}

/** Package root: dist/ sits directly below it. */
export const packageRoot: string = path.resolve(__dirname, '..');

function load(): NativeBinding {
  // node-gyp-build looks in build/Release, build/Debug, then prebuilds/.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
  return nodeGypBuild(packageRoot);
}

/** @internal */
export const native: NativeBinding = load();
