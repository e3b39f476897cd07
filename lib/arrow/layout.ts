/**
 * The layout of a table in transit: everything about it except the data
 * blocks themselves, written into one offheap block that travels with a
 * block handle (so no field of it can be edited on the way).
 *
 *   [0, 32)   header: magic 'OHAT', version, then as float64: JSON bytes,
 *             schema bytes, copied-buffer bytes
 *   JSON      blocks (address, byteLength, ticket, tag), batches and
 *             dictionaries as trees of nodes (see Node), UTF-8
 *   schema    the table's Schema as an Arrow IPC Schema message (flatbuffer)
 *   copies    buffers that were not offheap memory, each 64-byte aligned
 */
import { TextDecoder, TextEncoder } from 'node:util';

/** Typed array kinds a buffer may have (index = Ref kind). */
export const KINDS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;
export type Kind = (typeof KINDS)[number];
export const KIND_INDEX: ReadonlyMap<string, number> = new Map(KINDS.map((k, i) => [k.name, i]));

/**
 * Where a buffer's bytes are: a data block (src >= 0; byteOffset from the
 * block start), the layout's copies (COPIED; byteOffset from the start of
 * the copies) or nowhere (EMPTY).
 */
export const COPIED = -1;
export const EMPTY = -2;
/** [src, byteOffset, element count, kind]. */
export type Ref = [src: number, byteOffset: number, length: number, kind: number];
/** [offset, length, nullCount, 4 buffers (Ref or 0), variadic buffers, children (0: left out), dictionary index or -1]. */
export type Node = [
  offset: number,
  length: number,
  nullCount: number,
  buffers: (Ref | 0)[],
  variadic: Ref[],
  children: (Node | 0)[],
  dictionary: number,
];
/** A data block in transit: [address, byteLength, ticket, tag]. */
export type BlockRef = [address: number, byteLength: number, ticket: number, tag: number];

export interface Layout {
  blocks: BlockRef[];
  /** One per record batch: its row count, metadata entries and Struct data node. */
  batches: { length: number; metadata: [string, string][]; data: Node }[];
  /** Dictionary vectors (lists of chunk nodes); a node refers to them by index, a nested one only to earlier ones. */
  dicts: Node[][];
}

const MAGIC = 0x5441484f; // 'OHAT'
const VERSION = 1;
const HEADER = 32;

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** @internal Offsets of copied buffers from the start of the copies (each 64-byte aligned), and their total. */
export function copyOffsets(copies: readonly Uint8Array[]): { at: number[]; total: number } {
  const at: number[] = [];
  let total = 0;
  for (const c of copies) {
    at.push(total);
    total = align(total + c.byteLength, 64);
  }
  return { at, total };
}

/** @internal Where the parts of a layout block go, and its size. */
export function plan(json: Uint8Array, schema: Uint8Array, copiesTotal: number): { size: number; schemaAt: number; copiesAt: number } {
  const schemaAt = align(HEADER + json.byteLength, 8);
  const copiesAt = align(schemaAt + schema.byteLength, 64);
  return { size: copiesAt + copiesTotal, schemaAt, copiesAt };
}

/** @internal The JSON part of a layout, encoded. */
export function encodeJson(layout: Layout): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(layout));
}

/** @internal Writes a planned layout into `block`. */
export function write(block: Uint8Array, json: Uint8Array, schema: Uint8Array, copies: readonly Uint8Array[]): void {
  const { at, total } = copyOffsets(copies);
  const p = plan(json, schema, total);
  const dv = new DataView(block.buffer, block.byteOffset, HEADER);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setFloat64(8, json.byteLength, true);
  dv.setFloat64(16, schema.byteLength, true);
  dv.setFloat64(24, total, true);
  block.set(json, HEADER);
  block.set(schema, p.schemaAt);
  copies.forEach((c, i) => block.set(c, p.copiesAt + at[i]!));
}

/**
 * @internal The parts of a layout block: the parsed JSON (unchecked), the
 * schema bytes (a copy) and where the copies are. Throws a plain Error
 * saying what is wrong.
 */
export function read(block: Uint8Array): { layout: unknown; schema: Uint8Array; copiesAt: number; copiesLength: number } {
  if (block.byteLength < HEADER) throw new Error('layout block too short');
  const dv = new DataView(block.buffer, block.byteOffset, HEADER);
  if (dv.getUint32(0, true) !== MAGIC || dv.getUint32(4, true) !== VERSION) throw new Error('not a table layout');
  const jsonLength = dv.getFloat64(8, true);
  const schemaLength = dv.getFloat64(16, true);
  const copiesLength = dv.getFloat64(24, true);
  const ok = [jsonLength, schemaLength, copiesLength].every((n) => Number.isSafeInteger(n) && n >= 0);
  const schemaAt = align(HEADER + jsonLength, 8);
  const copiesAt = align(schemaAt + schemaLength, 64);
  if (!ok || jsonLength < 2 || schemaLength < 1 || copiesAt + copiesLength > block.byteLength) {
    throw new Error('layout lengths out of range');
  }
  const layout: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(block.subarray(HEADER, HEADER + jsonLength)));
  return { layout, schema: block.slice(schemaAt, schemaAt + schemaLength), copiesAt, copiesLength };
}
