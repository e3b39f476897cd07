// Shared by test/arrow*.test.ts: offheap/arrow as built (dist/arrow, next to
// the dist under test) and the CommonJS build of apache-arrow it loads, so
// tables made here and there come from one copy of Arrow.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as Arrow from 'apache-arrow';
import type * as OffheapArrow from '../lib/arrow/index';
import { DIST } from './helpers';

const require = createRequire(import.meta.url);

export const ARROW_DIST = `${dirname(DIST)}/arrow/index.js`;
export const oa: typeof OffheapArrow = require(ARROW_DIST);
export const A: typeof Arrow = require('apache-arrow');

/** Every Data node of a table (children and dictionaries included). */
export function allData(t: Arrow.Table | Arrow.Vector): Arrow.Data[] {
  const out: Arrow.Data[] = [];
  const seen = new Set<Arrow.Data>();
  const todo: Arrow.Data[] = 'batches' in t ? t.batches.map((b) => b.data) : [...t.data];
  while (todo.length) {
    const d = todo.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    out.push(d);
    todo.push(...d.children);
    if (d.dictionary) todo.push(...d.dictionary.data);
  }
  return out;
}

/** Every non-empty buffer of a table. */
export function allBuffers(t: Arrow.Table | Arrow.Vector): ArrayBufferView[] {
  const out: ArrayBufferView[] = [];
  for (const d of allData(t)) {
    for (const b of [d.valueOffsets, d.values, d.nullBitmap, d.typeIds, ...(d.variadicBuffers ?? [])]) {
      if (b && (b as ArrayBufferView).byteLength > 0) out.push(b as ArrayBufferView);
    }
  }
  return out;
}

/** The distinct ArrayBuffers behind a table's buffers. */
export function backing(t: Arrow.Table | Arrow.Vector): Set<ArrayBufferLike> {
  return new Set(allBuffers(t).map((b) => b.buffer));
}
