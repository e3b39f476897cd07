/**
 * Argument checking shared by the entry points: sizes and lengths (within
 * the limits of lib/constants.ts, checked before anything is allocated) and
 * TypedArray constructors.
 */
import { MAX_ALLOC, MAX_REQUEST } from './constants';
import { argType, describe, outOfRange } from './errors';
import type { TypedArray, TypedArrayConstructor } from './types';

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
