/**
 * Stable error codes of {@link OffheapError}.
 *
 * - `ERR_OFFHEAP_INVALID_FREE`: `free` was given a view that is not the start
 *   of a live offheap block of this process (double free, foreign view, a
 *   subarray that does not start the block, a block handed off).
 * - `ERR_OFFHEAP_INVALID_VIEW`: `handleOf` was given such a view.
 * - `ERR_OFFHEAP_INVALID_HANDLE`: `adopt` was given a handle that is forged,
 *   corrupted, from another process, already adopted, or whose block is gone.
 * - `ERR_OFFHEAP_OOM`: the allocator could not get memory (anonymous or
 *   file-backed).
 * - `ERR_OFFHEAP_SANDBOX`: the runtime forbids external ArrayBuffers (V8
 *   sandbox, e.g. Electron >= 21).
 * - `ERR_OFFHEAP_CONFIG`: `configure` was rejected by the core (for example a
 *   swap directory that does not exist).
 */
export type OffheapErrorCode =
  | 'ERR_OFFHEAP_INVALID_FREE'
  | 'ERR_OFFHEAP_INVALID_VIEW'
  | 'ERR_OFFHEAP_INVALID_HANDLE'
  | 'ERR_OFFHEAP_OOM'
  | 'ERR_OFFHEAP_SANDBOX'
  | 'ERR_OFFHEAP_CONFIG';

/**
 * Error thrown by offheap for failures that are not plain argument type or
 * range errors. Match on {@link OffheapError.code}, which is stable across
 * versions; messages may change.
 */
export class OffheapError extends Error {
  /** Stable machine-readable code. */
  readonly code: OffheapErrorCode;

  constructor(code: OffheapErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'OffheapError';
  }
}
