/**
 * Reading views safely. `buffer`, `byteOffset` and `byteLength` are read
 * through the intrinsic getters of `%TypedArray%.prototype` and
 * `DataView.prototype`, captured once when the package loads, never through
 * properties script can override (own properties, subclasses, Proxies,
 * lookalike objects). Anything that is not a real TypedArray or DataView is
 * not a view.
 */

type Getter<T> = (this: unknown) => T;

function getter<T>(proto: object, key: PropertyKey): Getter<T> {
  const d = Object.getOwnPropertyDescriptor(proto, key);
  if (d === undefined || typeof d.get !== 'function') throw new Error(`offheap: missing intrinsic getter ${String(key)}`);
  return d.get as Getter<T>;
}

const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const taTag = getter<string | undefined>(TypedArrayProto, Symbol.toStringTag);
const taBuffer = getter<ArrayBufferLike>(TypedArrayProto, 'buffer');
const taByteOffset = getter<number>(TypedArrayProto, 'byteOffset');
const taByteLength = getter<number>(TypedArrayProto, 'byteLength');
const dvBuffer = getter<ArrayBufferLike>(DataView.prototype, 'buffer');
const dvByteOffset = getter<number>(DataView.prototype, 'byteOffset');
const dvByteLength = getter<number>(DataView.prototype, 'byteLength');
const abByteLength = getter<number>(ArrayBuffer.prototype, 'byteLength');
const isView = ArrayBuffer.isView;
const call = Function.prototype.call;
// uncurried: f(x) === getter.call(x), without looking up .call on the getter
const uncurry = <T>(g: Getter<T>) => call.bind(g) as unknown as (self: unknown) => T;

/** @internal The element type name for a real TypedArray, else undefined (never throws). */
export const typedArrayTag = uncurry(taTag);
/** @internal Intrinsic getters of a real TypedArray (call only after typedArrayTag). */
export const typedArrayBuffer = uncurry(taBuffer);
export const typedArrayByteOffset = uncurry(taByteOffset);
export const typedArrayByteLength = uncurry(taByteLength);

/** @internal The parts of a real TypedArray or DataView. */
export interface ViewParts {
  buffer: ArrayBufferLike;
  byteOffset: number;
  byteLength: number;
  detached: boolean;
}

/** @internal Reads a view through the intrinsic getters; null if `v` is not a TypedArray or DataView. */
export function viewParts(v: unknown): ViewParts | null {
  if (typedArrayTag(v) !== undefined) {
    const buffer = typedArrayBuffer(v);
    return {
      buffer,
      byteOffset: typedArrayByteOffset(v),
      byteLength: typedArrayByteLength(v),
      detached: isDetached(buffer),
    };
  }
  if (!isView(v)) return null; // any other ArrayBuffer view is a DataView
  const buffer = dvBuffer.call(v);
  if (isDetached(buffer)) {
    return { buffer, byteOffset: 0, byteLength: 0, detached: true }; // DataView getters throw when detached
  }
  return { buffer, byteOffset: dvByteOffset.call(v), byteLength: dvByteLength.call(v), detached: false };
}

/**
 * @internal True for an ArrayBuffer of length 0: detached (transferred, or
 * freed in checked mode), since offheap never makes empty buffers.
 */
export function isDetached(buf: ArrayBufferLike): boolean {
  try {
    return abByteLength.call(buf) === 0;
  } catch {
    return false; // a SharedArrayBuffer: never one of ours
  }
}
