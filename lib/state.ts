/**
 * Per-thread state, shared by every copy of this package loaded in the thread.
 *
 * Block ownership must not depend on which copy of the JS module made a view
 * (a duplicate install, a test runner's module reset, the ESM and CJS entry
 * points). So the first copy loaded in a thread creates the state, including
 * the native binding it loaded, and stores it on `globalThis` under a
 * registered symbol; every later copy uses the same state and the same
 * native heap. (`globalThis` is per thread: every worker has its own.)
 * Copies whose STATE_VERSION differs keep separate states.
 */
import { checkEnvironment } from './environment';
import { loadBinding, type NativeBinding } from './native';

/** @internal A pool (or huge block) exposed to JavaScript. */
export interface PoolView {
  buffer: ArrayBuffer;
  data: number;
  end: number;
}

/** @internal */
export interface ThreadState {
  readonly native: NativeBinding;
  /** This thread's registers (operand and result of allocR / freeR). */
  readonly R: Float64Array;
  /** Exposed pools, keyed by pool index (address / POOL_SIZE). Pinned while referenced. */
  pools: Map<number, PoolView>;
  /** Last pool used by alloc: one-entry cache in front of `pools`. */
  lastBuf: ArrayBuffer;
  lastData: number;
  lastEnd: number;
  /** One-entry cache of free(): last pool buffer and its data address. */
  freeBuf: ArrayBuffer | undefined;
  freeData: number;
  /**
   * Every fast-mode buffer made in this thread -> its data address; negated
   * for a huge block's own buffer (not kept in the caches, so it can be
   * unmapped once collected).
   */
  readonly bufData: WeakMap<ArrayBuffer, number>;
  /** Checked-mode buffers (one per block). */
  readonly checkedBufs: WeakSet<ArrayBuffer>;
  /** This thread's allocation mode. */
  checkedMode: boolean;
}

const STATE_VERSION = 2;
const KEY = Symbol.for(`offheap.threadState.v${STATE_VERSION}`);

function create(): ThreadState {
  checkEnvironment();
  const native = loadBinding();
  return {
    native,
    R: new Float64Array(native.registers),
    pools: new Map(),
    lastBuf: new ArrayBuffer(0),
    lastData: -1,
    lastEnd: -1,
    freeBuf: undefined,
    freeData: 0,
    bufData: new WeakMap(),
    checkedBufs: new WeakSet(),
    checkedMode: false,
  };
}

function shared(): ThreadState {
  const g = globalThis as unknown as Record<symbol, ThreadState | undefined>;
  const existing = g[KEY];
  if (existing !== undefined) return existing;
  const s = create();
  Object.defineProperty(globalThis, KEY, { value: s, enumerable: false, writable: false, configurable: false });
  return s;
}

/** @internal This thread's state. */
export const state: ThreadState = shared();
/** @internal This thread's native binding. */
export const native: NativeBinding = state.native;

/** @internal Drops the pool caches (gc): pools no view uses become collectable. */
export function dropPoolCaches(): void {
  state.pools = new Map();
  state.lastBuf = new ArrayBuffer(0);
  state.lastData = -1;
  state.lastEnd = -1;
  state.freeBuf = undefined;
  state.freeData = 0;
}
