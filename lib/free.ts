/**
 * free: returns a block to the allocator. The view is read through the
 * intrinsic getters (lib/views.ts): lookalike objects, Proxies and lying
 * subclasses free nothing.
 */
import { freeChecked, isChecked } from './checked';
import { freeFailure, freeFailureOf } from './arena-registry';
import { argType, describe, detached } from './errors';
import { native, state as S } from './state';
import { typedArrayBuffer, typedArrayByteOffset, typedArrayTag, viewParts } from './views';

const R = S.R;
const nFree = native.freeR;

/**
 * Returns a block to the allocator. `view` may be any `ArrayBufferView`
 * (typed array of any kind, `DataView`, `Buffer`) over the same buffer whose
 * first byte is the block's first byte: the view returned by
 * {@link alloc}/{@link allocZeroed}/{@link allocArray}/{@link adopt}, or a
 * view built from it at offset 0. Any thread may free any block, including
 * blocks of threads that have exited, and any copy of this package loaded in
 * the thread may free blocks another copy made.
 *
 * Fast mode: the view stays usable as memory but must not be used (it may
 * show another allocation's bytes later). Checked mode: the buffer is
 * detached; every view of it has length 0 from now on.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `view` is not a TypedArray or DataView
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_FREE` for a double free,
 *   a foreign view, a view not starting a block, or a block handed off with
 *   {@link handleOf}; `ERR_OFFHEAP_DETACHED` if the view's buffer was
 *   detached by `ArrayBuffer.prototype.transfer()`. Nothing is freed or
 *   corrupted then.
 */
export function free(view: ArrayBufferView): void {
  if (typedArrayTag(view) === undefined) return freeOther(view);
  const buf = typedArrayBuffer(view) as ArrayBuffer;
  const off = typedArrayByteOffset(view);
  let data: number;
  if (buf === S.freeBuf) {
    data = S.freeData;
  } else {
    const d = S.bufData.get(buf);
    if (d === undefined) return freeNotPooled(buf, off);
    if (d >= 0) {
      S.freeBuf = buf;
      S.freeData = d;
      data = d;
    } else {
      data = -d;
    }
  }
  // A detached view reads byteOffset 0: it must not free the chunk's first block.
  if (off === 0 && viewParts(view)!.detached) throw detached('free');
  const addr = data + off;
  R[0] = addr;
  nFree();
  if (R[0] !== 0) throw freeFailure(addr); // arena views are told apart here, off the hot path
}

/** Checked buffers and foreign views. */
function freeNotPooled(buf: ArrayBuffer, off: number): void {
  if (isChecked(buf) && off === 0) return freeChecked(buf);
  throw freeFailureOf(buf);
}

/** DataViews (read through DataView's getters) and non-views. */
function freeOther(view: unknown): void {
  const p = viewParts(view);
  if (p === null) throw argType(`free() needs an ArrayBufferView (a typed array or DataView), received ${describe(view)}`);
  const buf = p.buffer as ArrayBuffer;
  const d = S.bufData.get(buf);
  if (d === undefined) {
    if (isChecked(buf) && p.byteOffset === 0) return freeChecked(buf);
    throw freeFailureOf(buf);
  }
  if (p.detached) throw detached('free');
  const addr = (d >= 0 ? d : -d) + p.byteOffset;
  R[0] = addr;
  nFree();
  if (R[0] !== 0) throw freeFailure(addr);
}
