/**
 * Hand-off between threads: handleOf and adopt.
 *
 * A handle names a block by address, the bytes the adopter may see (bounded
 * by the block's size as the core reports it), the hand-off's ticket (its
 * generation: never reused in the process, so a replayed handle of a block
 * freed since is rejected even once the address is reused) and a keyed tag
 * over all three.
 */
import { checkTypedArrayCtor } from './args';
import { MAX_REQUEST } from './constants';
import { allocFailure, nativeFailure } from './codes';
import { argType, argValue, describe, detached, invalidHandle, invalidView } from './errors';
import { isChecked } from './checked';
import { poolView } from './pool';
import { native, state as S } from './state';
import type { OffheapHandle, TypedArray, TypedArrayConstructor } from './types';
import { viewParts } from './views';

/**
 * Hands a block to another thread of this process without copying. Returns
 * a small plain object to send with `postMessage` (do not put offheap
 * buffers themselves in `postMessage`: Node 20 copies external buffers and
 * Node >= 21 throws). The receiver calls {@link adopt} exactly once and
 * from then on owns (and frees) the block.
 *
 * From this call on the block is "in transit": `free` of it throws
 * `ERR_OFFHEAP_INVALID_FREE` and a second `handleOf` throws. In checked mode
 * the sender's buffer is detached. In fast mode the sender's view still
 * shows the memory: do not use it after the hand-off (not detectable).
 *
 * The adopter's view covers `view.byteLength` bytes from the block start
 * (read through the intrinsic getter; a view longer than its block is refused).
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `view` is not a TypedArray or DataView
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_VIEW` if `view` is empty,
 *   longer than its block, or does not start a live block owned here;
 *   `ERR_OFFHEAP_DETACHED` if its buffer was detached by `transfer()`
 */
export function handleOf(view: ArrayBufferView): OffheapHandle {
  const p = viewParts(view);
  if (p === null) throw argType(`handleOf() needs an ArrayBufferView (a typed array or DataView), received ${describe(view)}`);
  const buf = p.buffer as ArrayBuffer;
  const d = S.bufData.get(buf);
  const pooled = d !== undefined;
  // Pool buffers are only ever detached by script (transfer()); checked
  // buffers also by free/handleOf, which the binding tells apart.
  if (pooled && p.detached) throw detached('handleOf');
  if (pooled ? p.byteLength === 0 : !(isChecked(buf) && p.byteOffset === 0)) throw invalidView();
  let address: number;
  let r: [number, number] | [number, number, number] | number;
  if (pooled) {
    address = (d >= 0 ? d : -d) + p.byteOffset;
    r = native.handoff(address, p.byteLength);
  } else {
    r = native.handoffChecked(buf, p.byteLength);
    address = typeof r === 'object' ? r[2] : 0;
  }
  if (r === native.DETACHED) throw detached('handleOf');
  if (r === -native.ENOMEM) throw allocFailure(r, 0);
  if (typeof r !== 'object') throw invalidView();
  return { offheap: 1, address, byteLength: p.byteLength, pid: process.pid, ticket: r[0], tag: r[1] };
}

/**
 * Takes ownership of a block handed over with {@link handleOf} (from any
 * thread of this process, including one that has exited since) and returns
 * a view over the same memory: a `Uint8Array` by default, or a typed array
 * of `ctor` (the handle's byteLength must then be a multiple of its element
 * size). Succeeds exactly once per handle. The caller now owns the block
 * and frees it with {@link free}. The view is a fast or checked one
 * following this thread's mode.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `handle` is not an object or `ctor` is not a TypedArray constructor
 * @throws RangeError `ERR_INVALID_ARG_VALUE` if the byteLength is not a multiple of `ctor.BYTES_PER_ELEMENT`
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_HANDLE` for a handle that
 *   is malformed, forged or edited, from another process, already adopted,
 *   or whose block was freed (even if its address has been reused since)
 */
/** The checked fields of a block handle (or of a table handle's layout block). */
export interface HandleFields {
  address: number;
  byteLength: number;
  pid: number;
  ticket: number;
  tag: number;
}

/**
 * Reads a handle's fields exactly once each (a getter or Proxy cannot show
 * one value to the checks and another to the binding) and checks them:
 * `marker` must be 1, the numbers integers in range, the pid this process's.
 */
export function readHandleFields(handle: object, marker: 'offheap' | 'offheapTable'): HandleFields {
  const h = handle as Record<string, unknown>;
  const mark = h[marker];
  const address = h.address;
  const byteLength = h.byteLength;
  const pid = h.pid;
  const ticket = h.ticket;
  const tag = h.tag;
  if (mark !== 1) throw invalidHandle(`not ${marker === 'offheap' ? 'an offheap' : 'a table'} handle (missing ${marker}: 1)`);
  if (typeof address !== 'number' || typeof byteLength !== 'number' || typeof pid !== 'number' ||
      typeof ticket !== 'number' || typeof tag !== 'number') {
    throw invalidHandle('address, byteLength, pid, ticket and tag must be numbers');
  }
  if (!Number.isSafeInteger(address) || address <= 0 || !Number.isSafeInteger(byteLength) || byteLength < 1 ||
      byteLength > MAX_REQUEST || !Number.isSafeInteger(ticket) || ticket < 1) {
    throw invalidHandle(`bad address ${address}, byteLength ${byteLength} or ticket ${ticket}`);
  }
  if (pid !== process.pid) throw invalidHandle(`it belongs to process ${pid}, this is ${process.pid}`);
  return { address, byteLength, pid, ticket, tag };
}

export function adopt(handle: OffheapHandle): Uint8Array;
export function adopt<T extends TypedArray>(handle: OffheapHandle, ctor: TypedArrayConstructor<T>): T;
export function adopt(handle: OffheapHandle, ctor: TypedArrayConstructor<TypedArray> = Uint8Array): TypedArray {
  if (handle === null || typeof handle !== 'object') {
    throw argType(`adopt() needs a handle object from handleOf(), received ${describe(handle)}`);
  }
  checkTypedArrayCtor('adopt()', ctor);
  const { address, byteLength, ticket, tag } = readHandleFields(handle, 'offheap');
  const bpe = ctor.BYTES_PER_ELEMENT;
  if (byteLength % bpe !== 0) {
    throw argValue(`adopt(): byteLength ${byteLength} is not a multiple of ${ctor.name}.BYTES_PER_ELEMENT`, 'range');
  }
  if (S.checkedMode) {
    const r = native.adoptChecked(address, byteLength, ticket, tag);
    if (r === native.EINVAL) throw invalidHandle('forged, already adopted, or its block is gone');
    if (!(r instanceof ArrayBuffer)) throw nativeFailure('adopt()', r);
    S.checkedBufs.add(r);
    return new ctor(r, 0, byteLength / bpe);
  }
  if (native.adopt(address, byteLength, ticket, tag) !== 0) {
    throw invalidHandle('forged, already adopted, or its block is gone');
  }
  return poolView(ctor, address, byteLength / bpe);
}
