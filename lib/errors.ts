/**
 * Errors: the public {@link OffheapError} and the internal factories every
 * entry point uses, so each failure has one wording and one code.
 */

/**
 * Stable error codes of {@link OffheapError}.
 *
 * - `ERR_OFFHEAP_INVALID_FREE`: `free` was given a view that is not the start
 *   of a live offheap block of this process (double free, foreign view, a
 *   subarray that does not start the block, a block handed off).
 * - `ERR_OFFHEAP_INVALID_VIEW`: `handleOf` was given such a view, or one
 *   longer than its block.
 * - `ERR_OFFHEAP_INVALID_HANDLE`: `adopt` was given a handle that is forged,
 *   corrupted, from another process, already adopted, or whose block is gone.
 * - `ERR_OFFHEAP_DETACHED`: `free` or `handleOf` was given a view whose
 *   buffer was detached by someone else (`ArrayBuffer.prototype.transfer()`).
 *   Nothing is freed: the memory now belongs to the buffer it moved to.
 * - `ERR_OFFHEAP_OOM`: the allocator could not get memory (anonymous or
 *   file-backed).
 * - `ERR_OFFHEAP_SANDBOX`: the runtime forbids external ArrayBuffers (V8
 *   sandbox, e.g. Electron >= 21).
 * - `ERR_OFFHEAP_CONFIG`: a configuration was rejected: by `configure` (for
 *   example a swap directory that does not exist or is not writable) or, when
 *   the package loads, from the environment (`OFFHEAP_SWAP`,
 *   `OFFHEAP_SWAP_DIR`).
 * - `ERR_OFFHEAP_NATIVE`: the native binding could not complete a call
 *   (for example while the thread is being terminated).
 * - `ERR_OFFHEAP_ARENA_VIEW`: `free` was given a view of arena memory, which
 *   is released only with its arena (see `arena()`).
 * - `ERR_OFFHEAP_CLOSED`: an arena was used after `close()`.
 * - `ERR_OFFHEAP_EMPTY_FILE`: `mapFile` was given an empty file (a mapping
 *   needs at least one byte).
 */
export type OffheapErrorCode =
  | 'ERR_OFFHEAP_INVALID_FREE'
  | 'ERR_OFFHEAP_INVALID_VIEW'
  | 'ERR_OFFHEAP_INVALID_HANDLE'
  | 'ERR_OFFHEAP_DETACHED'
  | 'ERR_OFFHEAP_OOM'
  | 'ERR_OFFHEAP_SANDBOX'
  | 'ERR_OFFHEAP_CONFIG'
  | 'ERR_OFFHEAP_NATIVE'
  | 'ERR_OFFHEAP_ARENA_VIEW'
  | 'ERR_OFFHEAP_CLOSED'
  | 'ERR_OFFHEAP_EMPTY_FILE';

/** Registered brand: errors of every copy of the package loaded in the process carry it. */
const BRAND = Symbol.for('offheap.OffheapError');

/**
 * Error thrown by offheap for failures that are not plain argument type or
 * range errors. Match on {@link OffheapError.code}, which is stable across
 * versions; messages may change. `instanceof OffheapError` also holds for
 * errors thrown by another copy of the package (duplicate install).
 */
export class OffheapError extends Error {
  /** Stable machine-readable code. */
  readonly code: OffheapErrorCode;

  constructor(code: OffheapErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'OffheapError';
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
  }
}

// ---- argument errors, with Node's own codes ---------------------------------

type NodeArgCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_OUT_OF_RANGE' | 'ERR_INVALID_ARG_VALUE';

function withCode<E extends Error>(e: E, code: NodeArgCode): E & { code: NodeArgCode } {
  Object.defineProperty(e, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return e as E & { code: NodeArgCode };
}

/** @internal A short description of a received value, for messages. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'function') return 'a function';
  if (v === null || typeof v !== 'object') return String(v);
  let name = 'Object';
  try {
    name = (v as object).constructor?.name ?? 'Object';
  } catch {
    // a Proxy or a throwing getter: keep the generic name
  }
  return `an instance of ${name}`;
}

/** @internal TypeError `ERR_INVALID_ARG_TYPE`. */
export function argType(message: string): TypeError {
  return withCode(new TypeError(`offheap: ${message}`), 'ERR_INVALID_ARG_TYPE');
}

/** @internal RangeError `ERR_OUT_OF_RANGE`. */
export function outOfRange(message: string): RangeError {
  return withCode(new RangeError(`offheap: ${message}`), 'ERR_OUT_OF_RANGE');
}

/** @internal `ERR_INVALID_ARG_VALUE` (TypeError, or RangeError for values outside a set). */
export function argValue(message: string, kind: 'type' | 'range' = 'type'): Error {
  const e = kind === 'range' ? new RangeError(`offheap: ${message}`) : new TypeError(`offheap: ${message}`);
  return withCode(e, 'ERR_INVALID_ARG_VALUE');
}

// ---- offheap errors -----------------------------------------------------------

/** @internal */
export function invalidFree(): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_INVALID_FREE',
    'offheap: free() needs a view whose first byte is the start of a live block returned by ' +
      'alloc/allocZeroed/allocArray/adopt in this process (double free, foreign view, ' +
      'subarray not at the block start, or a block handed off with handleOf)',
  );
}

/** @internal */
export function invalidView(): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_INVALID_VIEW',
    'offheap: handleOf() needs a non-empty view whose first byte is the start of a live block ' +
      'owned here (not freed, not already handed off) and that is not longer than its block',
  );
}

/** @internal */
export function invalidHandle(why: string): OffheapError {
  return new OffheapError('ERR_OFFHEAP_INVALID_HANDLE', `offheap: invalid handle: ${why}`);
}

/** @internal */
export function detached(fn: string): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_DETACHED',
    `offheap: ${fn}() was given a view whose ArrayBuffer was detached by someone else ` +
      '(ArrayBuffer.prototype.transfer()): nothing was freed or handed off. The memory now belongs ' +
      'to the buffer it moved to; in checked mode the block is released when that buffer is collected',
  );
}

/** @internal */
export function configError(message: string): OffheapError {
  return new OffheapError('ERR_OFFHEAP_CONFIG', `offheap: ${message}`);
}
