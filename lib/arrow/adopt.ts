/**
 * adoptTable: takes a table handed over with handleOfTable.
 *
 * The handle is checked like a block handle (it is one, for the layout
 * block), then the layout is read and checked in full against the schema it
 * carries (every node's children, dictionaries, buffer kinds and bounds)
 * before any data block is adopted. Only then are the data blocks taken,
 * each with its own ticket, and the table built over them: every buffer is
 * a view into an adopted block, nothing is copied. If anything fails, every
 * block taken so far is freed, so a failed adoption leaks nothing.
 */
import { readHandleFields } from '../handles';
import { argType, describe, invalidHandle } from '../errors';
import { adoptOwn, freeOwn } from './blocks';
import { COPIED, EMPTY, KINDS, read, type BlockRef } from './layout';
import { MAX_DEPTH, shapeOf } from './shape';
import type { ArrowLib, OffheapTableHandle } from './types';
import type { Data, Schema, Table, Vector } from 'apache-arrow';

/** A reason the layout is refused. */
class Bad extends Error {}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Bad(what);
}

function arr(v: unknown, what: string, n?: number): unknown[] {
  check(Array.isArray(v) && (n === undefined || v.length === n), what);
  return v as unknown[];
}

function count(v: unknown, what: string, min = 0): number {
  check(typeof v === 'number' && Number.isSafeInteger(v) && v >= min, what);
  return v as number;
}

/** A buffer reference, bounds-checked: where it points and how it is viewed. */
interface CheckedRef {
  src: number;
  byteOffset: number;
  length: number;
  kind: (typeof KINDS)[number];
}

/** A checked node, with the type the schema gives it. */
interface CheckedNode {
  type: unknown;
  offset: number;
  length: number;
  nullCount: number;
  buffers: (CheckedRef | undefined)[];
  variadic: CheckedRef[];
  children: (CheckedNode | undefined)[];
  dictionary: number;
}

class Checker {
  readonly dictTypes = new Map<number, unknown>();
  readonly dicts: CheckedNode[][] = [];
  private readonly busy = new Set<number>();

  constructor(
    private readonly blocks: BlockRef[],
    private readonly rawDicts: unknown[],
    private readonly copiesLength: number,
  ) {}

  ref(v: unknown): CheckedRef {
    const r = arr(v, 'a buffer reference is malformed', 4);
    const src = r[0];
    const kind = KINDS[count(r[3], 'a buffer kind is malformed')];
    check(kind !== undefined, 'a buffer kind is unknown');
    const byteOffset = count(r[1], 'a buffer offset is malformed');
    const length = count(r[2], 'a buffer length is malformed');
    const bpe = kind!.BYTES_PER_ELEMENT;
    const end = byteOffset + length * bpe;
    check(byteOffset % bpe === 0, 'a buffer is misaligned');
    if (src === EMPTY) check(length === 0, 'an empty buffer has a length');
    else if (src === COPIED) check(end <= this.copiesLength, 'a copied buffer lies outside the layout');
    else {
      const i = count(src, 'a buffer source is malformed');
      check(i < this.blocks.length && end <= this.blocks[i]![1], 'a buffer lies outside its block');
    }
    return { src: src as number, byteOffset, length, kind: kind! };
  }

  node(v: unknown, type: unknown, depth: number): CheckedNode {
    check(depth <= MAX_DEPTH, 'the layout nests too deep');
    const n = arr(v, 'a node is malformed', 7);
    const shape = shapeOf(type);
    const buffers = arr(n[3], 'a node has no buffer list', 4).map((b) => (b === 0 ? undefined : this.ref(b)));
    const variadic = arr(n[4], 'a node has no variadic list').map((b) => this.ref(b));
    const rawChildren = arr(n[5], 'a node has no children list', shape.children.length);
    const children = rawChildren.map((c, i) => (c === 0 ? undefined : this.node(c, shape.children[i], depth + 1)));
    const dictionary = n[6];
    check(typeof dictionary === 'number' && Number.isSafeInteger(dictionary) && dictionary >= -1, 'a dictionary index is malformed');
    check((shape.dictionary !== undefined) === (dictionary !== -1), 'a dictionary is missing or unexpected');
    if (dictionary !== -1) this.dict(dictionary as number, shape.dictionary, depth);
    const nullCount = n[2];
    check(typeof nullCount === 'number' && Number.isSafeInteger(nullCount) && nullCount >= -1, 'a null count is malformed');
    return {
      type,
      offset: count(n[0], 'an offset is malformed'),
      length: count(n[1], 'a length is malformed'),
      nullCount: nullCount as number,
      buffers,
      variadic,
      children,
      dictionary: dictionary as number,
    };
  }

  private dict(i: number, type: unknown, depth: number): void {
    check(i < this.rawDicts.length, 'a dictionary index is out of range');
    const known = this.dictTypes.get(i);
    if (known !== undefined) {
      check(known === type, 'a dictionary is used with two value types');
      return;
    }
    check(!this.busy.has(i), 'a dictionary contains itself');
    this.busy.add(i);
    this.dicts[i] = arr(this.rawDicts[i], 'a dictionary is malformed').map((c) => this.node(c, type, depth + 1));
    this.busy.delete(i);
    this.dictTypes.set(i, type);
  }
}

/** Reads the handle's fields once each (a getter or Proxy cannot change them between checks). */
function readHandle(handle: unknown): OffheapTableHandle {
  if (handle === null || typeof handle !== 'object') {
    throw argType(`adoptTable() needs a handle object from handleOfTable(), received ${describe(handle)}`);
  }
  return { offheapTable: 1, ...readHandleFields(handle, 'offheapTable') };
}

/** The checked layout: schema, blocks to adopt, batches and dictionaries. */
function checkLayout(A: ArrowLib, block: Uint8Array) {
  const { layout, schema: schemaBytes, copiesAt, copiesLength } = read(block);
  check(layout !== null && typeof layout === 'object', 'the layout is not an object');
  const l = layout as Record<string, unknown>;
  const blocks = arr(l.blocks, 'the block list is malformed').map((b) => {
    const r = arr(b, 'a block is malformed', 4);
    check(typeof r[3] === 'number', 'a block tag is malformed');
    return [count(r[0], 'a block address is malformed', 1), count(r[1], 'a block length is malformed', 1),
      count(r[2], 'a block ticket is malformed', 1), r[3]] as BlockRef;
  });
  let schema: Schema;
  try {
    const m = A.Message.decode(schemaBytes);
    check(m.headerType === A.MessageHeader.Schema, 'the schema message is not a Schema');
    schema = m.header() as Schema;
  } catch (e) {
    throw e instanceof Bad ? e : new Bad(`the schema cannot be decoded (${(e as Error)?.message ?? String(e)})`);
  }
  const c = new Checker(blocks, arr(l.dicts, 'the dictionary list is malformed'), copiesLength);
  const struct = new A.Struct(schema.fields);
  const batches = arr(l.batches, 'the batch list is malformed').map((b) => {
    check(b !== null && typeof b === 'object', 'a batch is malformed');
    const o = b as Record<string, unknown>;
    const metadata = arr(o.metadata, 'batch metadata is malformed').map((e) => {
      const kv = arr(e, 'a metadata entry is malformed', 2);
      check(typeof kv[0] === 'string' && typeof kv[1] === 'string', 'a metadata entry is not a string pair');
      return kv as [string, string];
    });
    const data = c.node(o.data, struct, 0);
    check(count(o.length, 'a batch length is malformed') === data.length, 'a batch length disagrees with its data');
    return { metadata, data };
  });
  return { schema, blocks, batches, dicts: c.dicts, copiesAt, copiesLength };
}

/** Builds the Arrow objects over the adopted buffers. */
function build(A: ArrowLib, l: ReturnType<typeof checkLayout>, bufs: ArrayBuffer[], layoutBuf: ArrayBuffer): Table {
  const view = (r: CheckedRef | undefined) => {
    if (r === undefined) return undefined;
    if (r.src === EMPTY) return new r.kind(0);
    if (r.src === COPIED) return new r.kind(layoutBuf, l.copiesAt + r.byteOffset, r.length);
    return new r.kind(bufs[r.src]!, r.byteOffset, r.length);
  };
  const vectors: (Vector | undefined)[] = [];
  const dictionary = (i: number): Vector | undefined => {
    if (i < 0) return undefined;
    return (vectors[i] ??= new A.Vector(l.dicts[i]!.map(data)));
  };
  const data = (n: CheckedNode): Data =>
    new A.Data(
      n.type as never,
      n.offset,
      n.length,
      n.nullCount,
      n.buffers.map(view) as never,
      n.children.map((c) => (c === undefined ? undefined : data(c))) as Data[],
      dictionary(n.dictionary),
      n.variadic.map(view) as never,
    );
  const batches = l.batches.map((b) => new A.RecordBatch(l.schema, data(b.data) as never, new Map(b.metadata)));
  return new A.Table(l.schema, batches);
}

/**
 * Takes ownership of a table handed over with {@link handleOfTable} (from
 * any thread of this process) and returns it: the same schema, batches,
 * dictionaries and buffers, over the same memory, with no copy. Succeeds
 * exactly once per handle. The table's memory now belongs to this thread's
 * caller: free it with {@link release}(table) (or let V8 collect it).
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `handle` is not an object
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_HANDLE` for a handle that
 *   is malformed, forged or edited, from another process, already adopted,
 *   or whose layout does not describe a valid table. Nothing is adopted then.
 */
export function adoptTable(A: ArrowLib, handle: unknown): Table {
  const h = readHandle(handle);
  const layoutBuf = adoptOwn(h.address, h.byteLength, h.ticket, h.tag);
  if (layoutBuf === null) throw invalidHandle('forged, already adopted, or its table is gone');
  const adopted: ArrayBuffer[] = [];
  let l: ReturnType<typeof checkLayout>;
  try {
    l = checkLayout(A, new Uint8Array(layoutBuf));
    for (const [address, byteLength, ticket, tag] of l.blocks) {
      const b = adoptOwn(address, byteLength, ticket, tag);
      if (b === null) throw new Bad('a data block of the table was refused (already adopted or freed)');
      adopted.push(b);
    }
    const table = build(A, l, adopted, layoutBuf);
    if (l.copiesLength === 0) freeOwn(layoutBuf); // nothing in the table views it
    return table;
  } catch (e) {
    for (const b of adopted) freeOwn(b);
    freeOwn(layoutBuf);
    if (e instanceof Bad) throw invalidHandle(e.message);
    const err = invalidHandle(`its table cannot be built (${(e as Error)?.message ?? String(e)})`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}
