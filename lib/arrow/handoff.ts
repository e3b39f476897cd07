/**
 * handleOfTable: hands a whole Arrow table (schema, every batch, every
 * buffer, dictionaries) to another thread without copying its data.
 *
 * Every offheap block behind the table is handed off like `handleOf` does
 * (in transit: adoptable exactly once, with its ticket), and the table's
 * layout (schema, batch and buffer structure, the tickets) is written into
 * one more block, handed off the same way. The handle names only that
 * layout block, so it is as small, as cloneable and as hard to forge or
 * replay as a block handle.
 *
 * Everything is read and checked before the first hand-off, so a table that
 * cannot travel is refused as it was, with nothing in transit.
 */
import { arenaViewError } from '../arena-registry';
import { argType, argValue, describe, detached, OffheapError } from '../errors';
import { native } from '../state';
import { typedArrayTag } from '../views';
import { adoptOwn, freeOwn, ownBlock } from './blocks';
import { copyOffsets, COPIED, EMPTY, encodeJson, KIND_INDEX, KINDS, plan, write, type BlockRef, type Layout, type Node, type Ref } from './layout';
import { arrowKind, batchData, readData, tableBatches } from './objects';
import { blockSizeAt, ownerOf } from './owners';
import { MAX_DEPTH, shapeOf } from './shape';
import type { ArrowLib, OffheapTableHandle } from './types';

const FN = 'handleOfTable()';

/** A resource to hand off: a buffer of its own, or a fast-mode pool block [address, address + span). */
type Resource = { buffer: ArrayBuffer; address: number; size: number; huge: boolean } | { pool: true; address: number; span: number };

/** What the walk collects before anything is handed off. */
class Collector {
  readonly resources: Resource[] = [];
  private readonly byBuffer = new Map<ArrayBuffer, number>();
  /** Pool views: [ref, address, byteLength], resolved to blocks once all are known. */
  readonly poolRefs: [Ref, number, number][] = [];
  readonly copies: Uint8Array[] = [];
  readonly dicts: Node[][] = [];
  private readonly dictIndex = new Map<object, number>();

  ref(v: ArrayBufferView): Ref {
    const kind = KIND_INDEX.get(typedArrayTag(v)!);
    if (kind === undefined) throw argValue(`${FN}: a buffer is a ${typedArrayTag(v)}, which Arrow does not use`);
    const { owner, buffer, byteOffset, byteLength } = ownerOf(v);
    const length = byteLength / KINDS[kind]!.BYTES_PER_ELEMENT;
    if (owner.kind === 'detached') throw detached('handleOfTable'); // released or handed off already
    if (byteLength === 0) return [EMPTY, 0, 0, kind];
    switch (owner.kind) {
      case 'own':
      case 'huge': {
        let i = this.byBuffer.get(owner.buffer);
        if (i === undefined) {
          i = this.resources.length;
          this.byBuffer.set(owner.buffer, i);
          const address = owner.kind === 'huge' ? owner.address : 0;
          this.resources.push({ buffer: owner.buffer, address, size: owner.size, huge: owner.kind === 'huge' });
        }
        return [i, byteOffset, length, kind];
      }
      case 'pool': {
        const r: Ref = [-3, 0, length, kind]; // resolved by resolvePool
        this.poolRefs.push([r, owner.address, byteLength]);
        return r;
      }
      case 'foreign': {
        // Not offheap memory (e.g. a small V8 buffer Arrow made): copied into the layout block.
        this.copies.push(new Uint8Array(buffer, byteOffset, byteLength).slice());
        return [COPIED, this.copies.length - 1, length, kind]; // index: a byte offset once all are known
      }
      case 'arena':
        throw arenaViewError('handleOfTable');
    }
  }

  /** Pool views become refs into the block they start or lie in (that block's start must be one of them). */
  resolvePool(): void {
    const starts = new Map<number, number>();
    for (const [, a] of this.poolRefs) if (!starts.has(a)) starts.set(a, blockSizeAt(a));
    const blocks = [...starts].filter(([, size]) => size > 0).sort((x, y) => x[0] - y[0]);
    const index = new Map<number, number>();
    for (const [ref, a, len] of this.poolRefs) {
      // the last block starting at or before a (blocks never overlap)
      let lo = 0;
      let hi = blocks.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (blocks[mid]![0] <= a) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      const b = found >= 0 ? blocks[found]! : undefined;
      if (b === undefined || a + len > b[0] + b[1]) {
        throw new OffheapError(
          'ERR_OFFHEAP_INVALID_VIEW',
          `offheap: ${FN}: a buffer of the table is part of an offheap block whose start is not in the table ` +
            '(a slice of a column): only whole blocks can be handed off. Copy the slice, or hand off the whole column',
        );
      }
      let i = index.get(b[0]);
      if (i === undefined) {
        i = this.resources.length;
        index.set(b[0], i);
        this.resources.push({ pool: true, address: b[0], span: 0 });
      }
      const res = this.resources[i] as { span: number };
      res.span = Math.max(res.span, a + len - b[0]);
      ref[0] = i;
      ref[1] = a - b[0];
    }
  }

  node(d: object, type: unknown, depth: number): Node {
    if (depth > MAX_DEPTH) throw argValue(`${FN}: the table nests deeper than ${MAX_DEPTH} levels`);
    const p = readData(FN, d);
    let shape;
    try {
      shape = shapeOf(type);
    } catch (e) {
      throw argValue(`${FN}: ${(e as Error).message}`);
    }
    if (!isCount(p.offset) || !isCount(p.length) || !(Number.isSafeInteger(p.nullCount) && p.nullCount >= -1)) {
      throw argValue(`${FN}: a Data has a bad offset, length or nullCount`);
    }
    if (p.children.length !== shape.children.length) {
      throw argValue(`${FN}: a Data has ${p.children.length} children where its type has ${shape.children.length}`);
    }
    if ((shape.dictionary !== undefined) !== (p.dictionary !== undefined)) {
      throw argValue(`${FN}: a dictionary-encoded Data has no dictionary, or a plain one has one`);
    }
    const buffers = p.buffers.map((b) => (b === undefined ? 0 : this.ref(b)));
    const variadic = p.variadic.map((b) => this.ref(b));
    const children = p.children.map((c, i) => (c === undefined ? 0 : this.node(c, shape.children[i], depth + 1)));
    let dict = -1;
    if (p.dictionary !== undefined) {
      dict = this.dictIndex.get(p.dictionary) ?? -1;
      if (dict < 0) {
        // chunks first: a dictionary nested in them gets a smaller index
        const chunks = p.dictionaryData.map((c) => this.node(c, shape.dictionary, depth + 1));
        dict = this.dicts.length;
        this.dicts.push(chunks);
        this.dictIndex.set(p.dictionary, dict);
      }
    }
    return [p.offset, p.length, p.nullCount, buffers, variadic, children, dict];
  }
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function metadataOf(m: unknown): [string, string][] {
  if (m === undefined || m === null) return [];
  if (!(m instanceof Map)) throw argValue(`${FN}: RecordBatch.metadata is not a Map`);
  return [...m].map(([k, v]) => [String(k), String(v)]);
}

/** Hands off one resource; returns its block ref, or null if the allocator refused. */
function handOff(r: Resource): BlockRef | null {
  if ('pool' in r) {
    const t = native.handoff(r.address, r.span);
    return typeof t === 'object' ? [r.address, r.span, t[0], t[1]] : null;
  }
  if (r.huge) {
    const t = native.handoff(r.address, r.size);
    return typeof t === 'object' ? [r.address, r.size, t[0], t[1]] : null;
  }
  const t = native.handoffChecked(r.buffer, r.size);
  return typeof t === 'object' ? [t[2], r.size, t[0], t[1]] : null;
}

/** Takes blocks back after a failed hand-off: fast-mode ones into place, own ones (their buffers are detached) freed. */
function takeBack(resources: Resource[], refs: BlockRef[]): void {
  refs.forEach((b, i) => {
    const r = resources[i]!;
    if ('pool' in r || r.huge) native.adopt(b[0], b[1], b[2], b[3]);
    else {
      const buf = adoptOwn(b[0], b[1], b[2], b[3]);
      if (buf !== null) freeOwn(buf);
    }
  });
}

/**
 * Hands a Table to another thread of this process without copying its data
 * and returns a small structured-clone-able handle for `postMessage`; the
 * receiver calls {@link adoptTable} exactly once. Every offheap block and
 * file mapping behind the table moves with it (they are "in transit" until
 * adopted: `free` and {@link release} leave them alone). Buffers that are
 * not offheap memory (Arrow's own small ones) are copied into the handle's
 * layout block.
 *
 * After the call the table is no longer the sender's: its one-block buffers
 * (from {@link readIPC}, the builders, `mapFile`, checked mode) are detached
 * (length 0); fast-mode `allocArray` columns still show the memory but must
 * not be used. A handle that is never adopted keeps its blocks until the
 * process exits.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `table` is not an Arrow Table;
 *   `ERR_INVALID_ARG_VALUE` if its insides are not Arrow's
 * @throws {@link OffheapError} `ERR_OFFHEAP_INVALID_VIEW` for a column that
 *   is a slice of a fast-mode block (not the whole block), or a block that is
 *   not live (freed, already handed off); `ERR_OFFHEAP_DETACHED` for a table
 *   already released or handed off; `ERR_OFFHEAP_ARENA_VIEW` for arena memory.
 *   Nothing is handed off then.
 */
export function handleOfTable(A: ArrowLib, table: unknown): OffheapTableHandle {
  if (arrowKind(table) !== 'Table') throw argType(`${FN} needs an Arrow Table, received ${describe(table)}`);
  const t = table as { schema: unknown };
  const schema = t.schema;
  let schemaBytes: Uint8Array;
  let fields: unknown[];
  try {
    schemaBytes = A.Message.encode(A.Message.from(schema as never));
    fields = [...((schema as { fields: unknown[] }).fields)];
  } catch (e) {
    throw argValue(`${FN}: the table's schema cannot be encoded (${(e as Error)?.message ?? String(e)})`);
  }
  const structType = new A.Struct(fields as never);
  const c = new Collector();
  const batches = tableBatches(FN, table as object).map((b) => {
    const data = c.node(batchData(FN, b), structType, 0);
    return { length: data[1], metadata: metadataOf((b as { metadata?: unknown }).metadata), data };
  });
  c.resolvePool();

  // Hand off the data blocks, then the layout naming them.
  const blocks: BlockRef[] = [];
  for (const r of c.resources) {
    const b = handOff(r);
    if (b === null) {
      takeBack(c.resources, blocks);
      throw notLive();
    }
    blocks.push(b);
  }
  fixCopies(batches.map((b) => b.data).concat(c.dicts.flat()), copyOffsets(c.copies).at);
  const layout: Layout = { blocks, batches, dicts: c.dicts };
  const json = encodeJson(layout);
  const size = plan(json, schemaBytes, copyOffsets(c.copies).total).size;
  let buf: ArrayBuffer;
  try {
    buf = ownBlock(size);
  } catch (e) {
    takeBack(c.resources, blocks);
    throw e;
  }
  write(new Uint8Array(buf), json, schemaBytes, c.copies);
  const h = native.handoffChecked(buf, size);
  if (typeof h !== 'object') {
    freeOwn(buf);
    takeBack(c.resources, blocks);
    throw notLive();
  }
  return { offheapTable: 1, address: h[2], byteLength: size, pid: process.pid, ticket: h[0], tag: h[1] };
}

function notLive(): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_INVALID_VIEW',
    `offheap: ${FN}: a block of the table is not live (freed, or already handed off): nothing was handed off`,
  );
}

/** Turns copied buffers' refs (an index) into byte offsets from the start of the copies. */
function fixCopies(nodes: Node[], copyAt: number[]): void {
  const todo = [...nodes];
  while (todo.length > 0) {
    const n = todo.pop()!;
    for (const r of [...n[3], ...n[4]]) if (r !== 0 && r[0] === COPIED) r[1] = copyAt[r[1]]!;
    for (const c of n[5]) if (c !== 0) todo.push(c);
  }
}
