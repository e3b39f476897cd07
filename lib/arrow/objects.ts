/**
 * Reading Arrow objects given by the caller: Table, RecordBatch, Vector and
 * Data are recognised by the markers Arrow itself uses across copies of the
 * library (`Symbol.for('apache-arrow/Table')`, ...), so a table made by the
 * CommonJS build of apache-arrow is accepted by the ES module entry and vice
 * versa. Every field is read once; buffers must be real typed arrays (read
 * through the intrinsic getters later). Anything else is refused before
 * anything is freed or handed off.
 */
import { argType, argValue, describe } from '../errors';
import { typedArrayTag } from '../views';

const kTable = Symbol.for('apache-arrow/Table');
const kBatch = Symbol.for('apache-arrow/RecordBatch');
const kVector = Symbol.for('apache-arrow/Vector');
const kData = Symbol.for('apache-arrow/Data');

/** @internal Which Arrow object `x` is, if any. */
export type ArrowKind = 'Table' | 'RecordBatch' | 'Vector' | 'Data';

function marked(x: object, key: symbol): boolean {
  return (x as Record<symbol, unknown>)[key] === true;
}

/** @internal The kind of Arrow object `x` is, or undefined (never throws on a hostile Proxy: it reports it). */
export function arrowKind(x: unknown): ArrowKind | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  try {
    if (marked(x, kTable)) return 'Table';
    if (marked(x, kBatch)) return 'RecordBatch';
    if (marked(x, kVector)) return 'Vector';
    if (marked(x, kData)) return 'Data';
  } catch {
    return undefined; // a revoked Proxy or a throwing trap: not something we can read
  }
  return undefined;
}

/** @internal One Data node, each field read once. */
export interface DataParts {
  readonly data: object;
  readonly type: unknown;
  readonly offset: number;
  readonly length: number;
  readonly nullCount: number;
  /** valueOffsets, values, nullBitmap, typeIds (Arrow's BufferType order); undefined where absent. */
  readonly buffers: readonly (ArrayBufferView | undefined)[];
  readonly variadic: readonly ArrayBufferView[];
  /** Child Data nodes; undefined where Arrow left one out. */
  readonly children: readonly (object | undefined)[];
  /** The dictionary Vector of a dictionary-encoded Data. */
  readonly dictionary: object | undefined;
  /** The dictionary's Data chunks. */
  readonly dictionaryData: readonly object[];
}

/** The error for a broken Arrow object (it has the marker, but its insides are not Arrow's). */
function broken(fn: string, what: string): Error {
  return argValue(`${fn}: ${what}`);
}

function list(fn: string, v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw broken(fn, `${what} is not an array`);
  const n = v.length;
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(v[i]);
  return out;
}

function buffer(fn: string, v: unknown, what: string): ArrayBufferView | undefined {
  if (v === undefined || v === null) return undefined;
  if (typedArrayTag(v) === undefined) throw broken(fn, `${what} is not a typed array (${describe(v)})`);
  return v as ArrayBufferView;
}

function num(fn: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw broken(fn, `${what} is not a number`);
  return v;
}

/** @internal Reads one Data node. */
export function readData(fn: string, d: object): DataParts {
  const o = d as Record<string, unknown>;
  const type = o.type;
  const offset = num(fn, o.offset, 'Data.offset');
  const length = num(fn, o.length, 'Data.length');
  const nullCount = num(fn, o.nullCount, 'Data.nullCount');
  const buffers = [
    buffer(fn, o.valueOffsets, 'Data.valueOffsets'),
    buffer(fn, o.values, 'Data.values'),
    buffer(fn, o.nullBitmap, 'Data.nullBitmap'),
    buffer(fn, o.typeIds, 'Data.typeIds'),
  ];
  const vb = o.variadicBuffers;
  const variadic = vb === undefined || vb === null ? [] : list(fn, vb, 'Data.variadicBuffers').map((b) => buffer(fn, b, 'a variadic buffer')!);
  // Arrow itself leaves a child undefined in some empty Data (e.g. a List made without one)
  const children = list(fn, o.children ?? [], 'Data.children').map((c) => {
    if (c === undefined || c === null) return undefined;
    if (arrowKind(c) !== 'Data') throw broken(fn, `a child of a Data is not an Arrow Data (${describe(c)})`);
    return c as object;
  });
  const dict = o.dictionary;
  let dictionary: object | undefined;
  let dictionaryData: object[] = [];
  if (dict !== undefined && dict !== null) {
    if (arrowKind(dict) !== 'Vector') throw broken(fn, `Data.dictionary is not an Arrow Vector (${describe(dict)})`);
    dictionary = dict as object;
    dictionaryData = vectorData(fn, dictionary);
  }
  return { data: d, type, offset, length, nullCount, buffers, variadic, children, dictionary, dictionaryData };
}

function vectorData(fn: string, v: object): object[] {
  return list(fn, (v as Record<string, unknown>).data, 'Vector.data').map((d) => {
    if (arrowKind(d) !== 'Data') throw broken(fn, `a chunk of a Vector is not an Arrow Data (${describe(d)})`);
    return d as object;
  });
}

/** @internal The record batches of a Table (each checked to be a RecordBatch). */
export function tableBatches(fn: string, t: object): object[] {
  return list(fn, (t as Record<string, unknown>).batches, 'Table.batches').map((b) => {
    if (arrowKind(b) !== 'RecordBatch') throw broken(fn, `a batch of the Table is not an Arrow RecordBatch (${describe(b)})`);
    return b as object;
  });
}

/** @internal The Struct Data of a RecordBatch. */
export function batchData(fn: string, b: object): object {
  const d = (b as Record<string, unknown>).data;
  if (arrowKind(d) !== 'Data') throw broken(fn, `RecordBatch.data is not an Arrow Data (${describe(d)})`);
  return d as object;
}

/** @internal The top-level Data nodes of x (a Table, RecordBatch, Vector or Data). */
function roots(fn: string, x: object, kind: ArrowKind): object[] {
  switch (kind) {
    case 'Table':
      return tableBatches(fn, x).map((b) => batchData(fn, b));
    case 'RecordBatch':
      return [batchData(fn, x)];
    case 'Vector':
      return vectorData(fn, x);
    case 'Data':
      return [x];
  }
}

/**
 * @internal Every Data node reachable from `x` (children and dictionaries
 * included), each once, without recursion (a deep or cyclic structure
 * cannot overflow the stack). Throws ERR_INVALID_ARG_TYPE if `x` is not an
 * Arrow Table, RecordBatch, Vector or Data, and ERR_INVALID_ARG_VALUE if its
 * insides are not Arrow's (or cannot be read: a throwing getter or trap).
 */
export function collectData(fn: string, x: unknown): DataParts[] {
  const kind = arrowKind(x);
  if (kind === undefined) {
    throw argType(`${fn} needs an Arrow Table, RecordBatch, Vector or Data, received ${describe(x)}`);
  }
  try {
    const seen = new Set<object>();
    const out: DataParts[] = [];
    const todo = roots(fn, x as object, kind);
    while (todo.length > 0) {
      const d = todo.pop()!;
      if (seen.has(d)) continue;
      seen.add(d);
      const p = readData(fn, d);
      out.push(p);
      for (const c of p.children) if (c !== undefined) todo.push(c);
      for (const c of p.dictionaryData) todo.push(c);
    }
    return out;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_INVALID_ARG_VALUE') throw e;
    const err = argValue(`${fn}: the Arrow object could not be read (${(e as Error)?.message ?? String(e)})`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}
