/**
 * Argument checking shared by the entry points, and the size limits they
 * enforce before anything is allocated.
 */
import { constants as bufferConstants } from 'node:buffer';
import { argType, describe, outOfRange } from './errors';
import { native } from './state';
import type { TypedArray, TypedArrayConstructor } from './types';

/** Largest request in bytes (2^44, the C core's `OFFHEAP_MAX_ALLOC`). */
export const MAX_ALLOC: number = native.MAX_ALLOC;
/** Pool size in bytes (32 MiB); requests above half of it get their own mapping. */
export const POOL_SIZE: number = native.POOL_SIZE;
/** Smallest block in bytes (64). */
export const MIN_BLOCK: number = 2 ** native.MIN_ORDER;

/**
 * @internal Largest ArrayBuffer this Node.js can make (`buffer.constants.MAX_LENGTH`):
 * 4 GiB on Node 20, 2^53 - 1 on Node >= 22. A block is one view, so requests
 * above it are refused before anything is allocated.
 */
export const MAX_BUFFER: number = bufferConstants.MAX_LENGTH;
/** @internal Largest request this runtime can serve as one view. */
export const MAX_REQUEST: number = Math.min(MAX_ALLOC, MAX_BUFFER);

const typedArrayKinds = new Set<unknown>([
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]);

function limitText(): string {
  return MAX_REQUEST < MAX_ALLOC
    ? `${MAX_REQUEST} (the largest ArrayBuffer of Node.js ${process.versions.node}, buffer.constants.MAX_LENGTH; Node.js >= 22 allows up to 2^44)`
    : `${MAX_REQUEST} (2^44)`;
}

/** @internal The error for a bad byte size (TypeError for a non-number, RangeError otherwise). */
export function badSize(what: string, v: unknown): Error {
  if (typeof v !== 'number') return argType(`${what} must be of type number, received ${describe(v)}`);
  return outOfRange(`${what} must be an integer from 1 to ${limitText()}, received ${v}`);
}

/** @internal Checks a TypedArray constructor. */
export function checkTypedArrayCtor(fn: string, ctor: unknown): asserts ctor is TypedArrayConstructor<TypedArray> {
  if (!typedArrayKinds.has(ctor)) {
    throw argType(`${fn} needs a TypedArray constructor (Int8Array ... BigUint64Array), received ${describe(ctor)}`);
  }
}

/** @internal Checks an element count and returns the byte size. */
export function checkLength(ctor: TypedArrayConstructor<TypedArray>, length: unknown): number {
  const bpe = ctor.BYTES_PER_ELEMENT;
  if (typeof length !== 'number') throw argType(`length must be of type number, received ${describe(length)}`);
  if (!(length >= 1 && length * bpe <= MAX_REQUEST) || !Number.isInteger(length)) {
    throw outOfRange(
      `length must be an integer from 1 to ${Math.floor(MAX_REQUEST / bpe)} for ${ctor.name} ` +
        `(byte size limit ${limitText()}), received ${length}`,
    );
  }
  return length * bpe;
}
