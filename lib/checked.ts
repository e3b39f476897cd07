/**
 * Checked mode: one external ArrayBuffer per block, detached on free (stale
 * views have length 0), and blocks JavaScript forgets are freed when the
 * last buffer showing them is collected. After
 * `ArrayBuffer.prototype.transfer()` the memory belongs to the moved buffer:
 * `free` of the old (detached) view throws ERR_OFFHEAP_DETACHED and the block
 * is released when the moved buffer is collected.
 */
import { allocFailure } from './codes';
import { detached, invalidFree } from './errors';
import { native, state as S } from './state';

/** @internal A new checked buffer of exactly `size` bytes. */
export function checkedBuffer(size: number): ArrayBuffer {
  const r = native.allocChecked(size);
  if (!(r instanceof ArrayBuffer)) throw allocFailure(r, size);
  S.checkedBufs.add(r);
  return r;
}

/** @internal True if `buf` is a checked buffer made in this thread. */
export function isChecked(buf: ArrayBufferLike): buf is ArrayBuffer {
  return S.checkedBufs.has(buf as ArrayBuffer);
}

/** @internal Frees the block of checked buffer `buf` (detaching it). */
export function freeChecked(buf: ArrayBuffer): void {
  const r = native.freeChecked(buf);
  if (r === 0) return;
  if (r === native.DETACHED) throw detached('free');
  throw invalidFree();
}
