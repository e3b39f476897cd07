/**
 * release(x): frees the offheap memory behind an Arrow Table, RecordBatch,
 * Vector or Data, each block or mapping exactly once however many buffers
 * share it, and ignores memory that is not offheap's.
 *
 * The whole object is read and checked before anything is freed, so a
 * broken or hostile object frees nothing. Buffers that are one block (or one
 * mapping) each are detached by the free, so a second release, or a release
 * of another table sharing them, finds them detached and frees nothing.
 * Fast-mode pool views (allocArray columns in the default mode) are freed by
 * address: release remembers the Data nodes it has released so that a
 * second release of the same object frees nothing, but releasing a slice
 * made before the first release is a stale free, like `free` of a stale view.
 */
import { native } from '../state';
import { collectData } from './objects';
import { ownerOf } from './owners';

/** Data nodes already released in this thread (so a repeated release frees nothing). */
const released = new WeakSet<object>();

/**
 * Frees every offheap block and file mapping behind `x` exactly once:
 * buffers of every batch, child and dictionary, including blocks made by
 * {@link readIPC}, the column builders, `allocArray` and `mapFile`. Buffers
 * that are not offheap memory are left alone, and so is arena memory
 * (released with its arena). Idempotent: releasing again, or releasing a
 * table that shares the freed blocks, does nothing. Afterwards the table's
 * one-block buffers are detached (length 0), so a stale read sees no data
 * rather than another allocation's.
 *
 * @returns the number of blocks and mappings freed by this call
 * @throws TypeError `ERR_INVALID_ARG_TYPE` if `x` is not an Arrow Table,
 *   RecordBatch, Vector or Data; `ERR_INVALID_ARG_VALUE` if its insides are
 *   not Arrow's. Nothing is freed then.
 */
export function release(x: unknown): number {
  const nodes = collectData('release()', x);
  const own = new Set<ArrayBuffer>();
  const huge = new Map<ArrayBuffer, number>();
  const pool = new Set<number>();
  for (const n of nodes) {
    if (released.has(n.data)) continue;
    for (const b of [...n.buffers, ...n.variadic]) {
      if (b === undefined) continue;
      const { owner } = ownerOf(b);
      if (owner.kind === 'own') own.add(owner.buffer);
      else if (owner.kind === 'huge') huge.set(owner.buffer, owner.address);
      else if (owner.kind === 'pool') pool.add(owner.address);
    }
  }
  let freed = 0;
  // A failure means "not a live block start" (already freed, interior view,
  // handed off): not ours to free, so it is skipped, never retried.
  for (const buf of own) if (native.freeChecked(buf) === 0) freed++;
  for (const address of huge.values()) if (native.free(address) === 0) freed++;
  for (const address of pool) if (native.free(address) === 0) freed++;
  for (const n of nodes) released.add(n.data);
  return freed;
}
