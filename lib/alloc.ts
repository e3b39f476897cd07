/**
 * Allocation entry points: alloc, allocZeroed, allocArray.
 */
import { badSize, checkLength, checkTypedArrayCtor } from './args';
import { MAX_REQUEST } from './constants';
import { checkedBuffer } from './checked';
import { allocFailure } from './codes';
import { poolView } from './pool';
import { native, state as S } from './state';
import type { TypedArray, TypedArrayConstructor } from './types';

// Hot path: operand and result go through this thread's registers, about
// twice as cheap as N-API argument passing (see native/binding/addon.cc).
const R = S.R;
const nAlloc = native.allocR;
const LIMIT = MAX_REQUEST;

/**
 * Allocates `size` bytes outside the V8 heap and returns a `Uint8Array` of
 * exactly `size` bytes. Contents are unspecified (like
 * `Buffer.allocUnsafe`); use {@link allocZeroed} for zeroed memory.
 *
 * The block is 64-byte aligned (pool blocks are aligned to their own
 * power-of-two size) and stays valid until {@link free}; nothing frees it
 * automatically in fast mode.
 *
 * In fast mode `view.buffer` is the whole 32 MiB pool the block lives in and
 * `view.byteOffset` its position there: do not hand `view.buffer` to code
 * that assumes it owns the whole buffer, and do not use a view after freeing
 * it (it may then show another allocation's bytes).
 *
 * @param size - bytes, an integer from 1 to {@link MAX_ALLOC}; at most
 *   `buffer.constants.MAX_LENGTH` (4 GiB on Node 20), checked before anything is allocated
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `size` is not a number
 * @throws RangeError `ERR_OUT_OF_RANGE` if `size` is not an integer in range
 * @throws {@link OffheapError} `ERR_OFFHEAP_OOM` when no memory can be had;
 *   `ERR_OFFHEAP_SANDBOX` in runtimes without external buffers
 */
export function alloc(size: number): Uint8Array {
  if (typeof size !== 'number' || !(size >= 1 && size <= LIMIT) || !Number.isInteger(size)) {
    throw badSize('size', size);
  }
  if (S.checkedMode) return new Uint8Array(checkedBuffer(size), 0, size);
  R[0] = size;
  nAlloc();
  const a = R[0]!;
  if (a <= 0) throw allocFailure(a, size);
  if (a >= S.lastData && a < S.lastEnd) {
    try {
      return new Uint8Array(S.lastBuf, a - S.lastData, size);
    } catch {
      // the pool buffer was detached (transfer()): poolView re-exposes it
    }
  }
  return poolView(Uint8Array, a, size);
}

/**
 * Like {@link alloc}, but every byte is zero. (Blocks are recycled, so
 * {@link alloc} may return old contents; this one clears them.)
 *
 * @param size - bytes, an integer from 1 to {@link MAX_ALLOC}
 * @throws the same errors as {@link alloc}
 */
export function allocZeroed(size: number): Uint8Array {
  const v = alloc(size);
  v.fill(0);
  return v;
}

/**
 * Allocates a typed array of `length` elements outside the V8 heap, e.g.
 * `allocArray(Float64Array, 1 << 20)` (8 MiB, exactly one 8 MiB block).
 * Works for every TypedArray kind, including `BigInt64Array`,
 * `BigUint64Array` and `Uint8ClampedArray`. Contents are unspecified.
 * Free it with {@link free}.
 *
 * @param ctor - a TypedArray constructor
 * @param length - elements, an integer >= 1 with `length * BYTES_PER_ELEMENT <= 2^44`
 *   (and at most `buffer.constants.MAX_LENGTH` bytes: 4 GiB on Node 20)
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `ctor` is not a TypedArray constructor or `length` is not a number
 * @throws RangeError `ERR_OUT_OF_RANGE` if `length` is out of range
 * @throws {@link OffheapError} `ERR_OFFHEAP_OOM`
 */
export function allocArray<T extends TypedArray>(ctor: TypedArrayConstructor<T>, length: number): T {
  checkTypedArrayCtor('allocArray', ctor);
  const size = checkLength(ctor, length);
  if (S.checkedMode) return new ctor(checkedBuffer(size), 0, length);
  R[0] = size;
  nAlloc();
  const a = R[0]!;
  if (a <= 0) throw allocFailure(a, size);
  if (a >= S.lastData && a < S.lastEnd) {
    try {
      return new ctor(S.lastBuf, a - S.lastData, length);
    } catch {
      // detached pool buffer: re-exposed below
    }
  }
  return poolView(ctor, a, length);
}
