/**
 * Variable-width columns (utf8, binary) built directly in offheap memory.
 *
 * Fixed-width columns need nothing from us: `allocArray(Float64Array, n)`
 * goes through Arrow's `makeData` / `makeTable` as it is. A utf8 or binary
 * column is three buffers: int32 offsets (n + 1), the value bytes, and a
 * validity bitmap (bit i set = row i valid, least significant bit first).
 * The builder writes all three into blocks of its own (see blocks.ts),
 * growing them by doubling, and finish() hands them to an Arrow Vector
 * without a copy. Strings are encoded straight into the block (Buffer#write),
 * never through a V8-heap byte array.
 */
import { Buffer } from 'node:buffer';
import { argType, describe, outOfRange } from '../errors';
import { viewParts } from '../views';
import { freeOwn, ownBlock } from './blocks';
import type { ArrowLib, VarWidthBuilderOptions } from './types';
import type { Binary, Utf8, Vector } from 'apache-arrow';

/** Largest value-byte total of one column: int32 offsets. */
const MAX_BYTES = 2 ** 31 - 1;
const MAX_CAPACITY_OPTION = 2 ** 31;

/** A column builder: append values (null for a missing one), then finish() once. */
export interface ColumnBuilder<V, T extends Utf8 | Binary> {
  /** Appends one value; `null` or `undefined` appends a null. */
  append(value: V | null | undefined): this;
  /** Rows appended so far. */
  readonly length: number;
  /** Value bytes written so far. */
  readonly byteLength: number;
  /** Nulls appended so far. */
  readonly nullCount: number;
  /**
   * The column as an Arrow Vector over the builder's offheap blocks (no
   * copy). The builder is done afterwards; free the column's memory with
   * `release(vector)` or release of a table holding it.
   */
  finish(): Vector<T>;
  /** Frees the builder's blocks without making a column (after finish(): nothing to do). */
  discard(): void;
}

function invalidState(message: string): Error {
  return Object.assign(new Error(`offheap: ${message}`), { code: 'ERR_INVALID_STATE' });
}

function readOptions(options: unknown): { bytes: number; rows: number } {
  if (options === undefined) return { bytes: 64 * 1024, rows: 1024 };
  if (options === null || typeof options !== 'object') throw argType(`builder options must be an object, received ${describe(options)}`);
  const o = options as Record<string, unknown>;
  const pick = (key: string, dflt: number): number => {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number') throw argType(`options.${key} must be a number, received ${describe(v)}`);
    if (!Number.isInteger(v) || v < 0 || v > MAX_CAPACITY_OPTION) throw outOfRange(`options.${key} must be an integer from 0 to 2^31, received ${v}`);
    return v;
  };
  return { bytes: Math.max(pick('byteCapacity', 64 * 1024), 64), rows: Math.max(pick('rowCapacity', 1024), 16) };
}

/** A growable offheap byte area. */
class Area {
  buf: ArrayBuffer;
  bytes: Uint8Array;

  constructor(size: number) {
    this.buf = ownBlock(size);
    this.bytes = new Uint8Array(this.buf);
  }

  /** Makes room for `need` bytes, keeping the first `used`. */
  grow(need: number, used: number): void {
    if (need <= this.bytes.byteLength) return;
    let size = this.bytes.byteLength * 2;
    while (size < need) size *= 2;
    const buf = ownBlock(size);
    const bytes = new Uint8Array(buf);
    bytes.set(this.bytes.subarray(0, used));
    freeOwn(this.buf);
    this.buf = buf;
    this.bytes = bytes;
  }

  free(): void {
    freeOwn(this.buf);
  }
}

/** The shared machinery of the utf8 and binary builders. */
class VarWidth {
  private readonly offsets: Area;
  private readonly values: Area;
  private validity: Area | undefined;
  private offs: Int32Array;
  private text: Buffer;
  length = 0;
  byteLength = 0;
  nullCount = 0;
  private done = false;

  constructor(rows: number, bytes: number) {
    this.offsets = new Area((rows + 1) * 4);
    try {
      this.values = new Area(bytes);
    } catch (e) {
      this.offsets.free();
      throw e;
    }
    this.offs = new Int32Array(this.offsets.buf);
    this.offs[0] = 0;
    this.text = Buffer.from(this.values.buf);
  }

  private live(): void {
    if (this.done) throw invalidState('this column builder has already finished (or was discarded)');
  }

  /** Room for one more row and `n` more value bytes. */
  private reserve(n: number): void {
    this.live();
    const bytes = this.byteLength + n;
    if (bytes > MAX_BYTES) throw outOfRange(`a utf8/binary column holds at most ${MAX_BYTES} value bytes (int32 offsets)`);
    if ((this.length + 2) * 4 > this.offsets.bytes.byteLength) {
      this.offsets.grow((this.length + 2) * 4, (this.length + 1) * 4);
      this.offs = new Int32Array(this.offsets.buf);
    }
    if (bytes > this.values.bytes.byteLength) {
      this.values.grow(bytes, this.byteLength);
      this.text = Buffer.from(this.values.buf);
    }
    if (this.validity !== undefined) this.validity.grow((this.length >> 3) + 1, (this.length + 7) >> 3);
  }

  private end(valid: boolean): void {
    const i = this.length++;
    this.offs[this.length] = this.byteLength;
    if (!valid && this.validity === undefined) {
      // first null: every earlier row was valid (bits past the last row stay 0)
      this.validity = new Area(Math.max(64, (this.offs.length + 7) >> 3));
      this.validity.bytes.fill(0xff, 0, i >> 3);
      this.validity.bytes[i >> 3] = (1 << (i & 7)) - 1;
    } else if (this.validity !== undefined && (i & 7) === 0) {
      this.validity.bytes[i >> 3] = 0; // a fresh byte: grown blocks are not zeroed
    }
    if (this.validity !== undefined && valid) this.validity.bytes[i >> 3]! |= 1 << (i & 7);
    if (!valid) this.nullCount++;
  }

  appendNull(): void {
    this.reserve(0);
    this.end(false);
  }

  appendString(s: string): void {
    // Worst case 3 bytes per UTF-16 unit: skip measuring when that fits.
    const worst = s.length * 3;
    const fits = worst <= this.values.bytes.byteLength - this.byteLength && this.byteLength + worst <= MAX_BYTES;
    this.reserve(fits ? 0 : Buffer.byteLength(s, 'utf8'));
    this.byteLength += this.text.write(s, this.byteLength, 'utf8');
    this.end(true);
  }

  appendBytes(v: Uint8Array): void {
    this.reserve(v.byteLength);
    this.values.bytes.set(v, this.byteLength);
    this.byteLength += v.byteLength;
    this.end(true);
  }

  finish(A: ArrowLib, type: Utf8 | Binary): Vector {
    this.live();
    this.done = true;
    let data: Uint8Array;
    if (this.byteLength === 0) {
      this.values.free(); // an empty block is no use to anyone
      data = new Uint8Array(0);
    } else data = this.values.bytes.subarray(0, this.byteLength);
    if (this.validity !== undefined && this.nullCount === 0) {
      this.validity.free();
      this.validity = undefined;
    }
    return A.makeVector(
      A.makeData({
        type,
        length: this.length,
        nullCount: this.nullCount,
        nullBitmap: this.validity?.bytes.subarray(0, (this.length + 7) >> 3),
        valueOffsets: this.offs.subarray(0, this.length + 1),
        data,
      } as never),
    );
  }

  discard(): void {
    if (this.done) return;
    this.done = true;
    this.offsets.free();
    this.values.free();
    this.validity?.free();
  }
}

function builder<V, T extends Utf8 | Binary>(
  make: () => T,
  append: (w: VarWidth, v: V) => void,
  A: ArrowLib,
  options: unknown,
): ColumnBuilder<V, T> {
  const { rows, bytes } = readOptions(options);
  const w = new VarWidth(rows, bytes);
  const b: ColumnBuilder<V, T> = {
    append(value) {
      if (value === null || value === undefined) w.appendNull();
      else append(w, value);
      return b;
    },
    get length() {
      return w.length;
    },
    get byteLength() {
      return w.byteLength;
    },
    get nullCount() {
      return w.nullCount;
    },
    finish: () => w.finish(A, make()) as Vector<T>,
    discard: () => w.discard(),
  };
  return b;
}

function appendUtf8(w: VarWidth, v: unknown): void {
  if (typeof v !== 'string') throw argType(`a utf8 column takes strings (or null), received ${describe(v)}`);
  w.appendString(v);
}

function appendBinary(w: VarWidth, v: unknown): void {
  const p = viewParts(v);
  if (p === null) throw argType(`a binary column takes Uint8Arrays or other ArrayBufferViews (or null), received ${describe(v)}`);
  w.appendBytes(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
}

/** A utf8 column builder writing into offheap blocks (see {@link ColumnBuilder}). */
export function utf8Builder(A: ArrowLib, options?: VarWidthBuilderOptions): ColumnBuilder<string, Utf8> {
  return builder(() => new A.Utf8(), appendUtf8, A, options);
}

/** A binary column builder writing into offheap blocks (see {@link ColumnBuilder}). */
export function binaryBuilder(A: ArrowLib, options?: VarWidthBuilderOptions): ColumnBuilder<ArrayBufferView, Binary> {
  return builder(() => new A.Binary(), appendBinary, A, options);
}

/** Builds a whole column; an array is measured first, so its blocks have exactly the size needed. */
function column<V, T extends Utf8 | Binary>(
  fn: string,
  b: (options?: VarWidthBuilderOptions) => ColumnBuilder<V, T>,
  size: (v: unknown) => number,
  values: unknown,
): Vector<T> {
  if (values === null || typeof values !== 'object' || typeof (values as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw argType(`${fn} needs an array or iterable of values, received ${describe(values)}`);
  }
  let options: VarWidthBuilderOptions | undefined;
  if (Array.isArray(values)) {
    let bytes = 0;
    for (const v of values) bytes += v === null || v === undefined ? 0 : size(v);
    options = { rowCapacity: values.length, byteCapacity: Math.min(bytes, MAX_CAPACITY_OPTION) };
  }
  const builder = b(options);
  try {
    for (const v of values as Iterable<V | null | undefined>) builder.append(v);
    return builder.finish();
  } catch (e) {
    builder.discard();
    throw e;
  }
}

const utf8Size = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0);
const binarySize = (v: unknown) => viewParts(v)?.byteLength ?? 0;

/**
 * A utf8 column of `values` (strings; null or undefined for a missing
 * value) as an Arrow Vector whose offsets, bytes and validity bitmap are
 * offheap blocks. From an array the blocks are sized exactly.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` for a non-iterable or a value that is not a string; nothing is leaked
 * @throws RangeError `ERR_OUT_OF_RANGE` above 2^31 - 1 value bytes
 */
export function utf8Column(A: ArrowLib, values: Iterable<string | null | undefined>): Vector<Utf8> {
  return column('utf8Column()', (o) => utf8Builder(A, o), utf8Size, values);
}

/** Like {@link utf8Column} for binary values (any ArrayBufferView; bytes are copied into the column). */
export function binaryColumn(A: ArrowLib, values: Iterable<ArrayBufferView | null | undefined>): Vector<Binary> {
  return column('binaryColumn()', (o) => binaryBuilder(A, o), binarySize, values);
}

/**
 * A validity bitmap for a fixed-width column with nulls: bit i set when
 * `valid[i]` is truthy. Pass it to Arrow's `makeData({ type, data,
 * nullBitmap: bitmap, nullCount })`; it is one offheap block.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `valid` is not array-like
 */
export function validityBitmap(valid: ArrayLike<unknown>): { bitmap: Uint8Array; nullCount: number } {
  if (valid === null || typeof valid !== 'object' || typeof (valid as ArrayLike<unknown>).length !== 'number') {
    throw argType(`validityBitmap() needs an array-like of flags, received ${describe(valid)}`);
  }
  const n = valid.length;
  if (!Number.isSafeInteger(n) || n < 1) throw outOfRange(`validityBitmap() needs 1 or more flags, received length ${n}`);
  const bitmap = new Uint8Array(ownBlock((n + 7) >> 3));
  bitmap.fill(0);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else nullCount++;
  }
  return { bitmap, nullCount };
}
