/**
 * Maintenance and statistics: gc and stats.
 */
import { nativeFailure } from './codes';
import { argValue, describe } from './errors';
import { dropPoolCaches, native } from './state';
import type { GcReport, HeapStats } from './types';

/**
 * Runs the allocator's maintenance on this thread's heap and reports what it
 * released: flushes slab caches, applies frees queued by other threads,
 * merges heaps of exited threads, gives physical pages of large free blocks
 * back to the OS and unmaps wholly free pools and cached huge mappings that
 * no JavaScript buffer still views.
 *
 * It also drops this thread's cache of pool buffers, so pools JavaScript no
 * longer views become unpinned once V8 collects their buffers and a later
 * `gc()` can unmap them.
 */
export function gc(): GcReport {
  dropPoolCaches();
  const r = native.gc();
  if (r === undefined) throw nativeFailure('gc()', r);
  return r;
}

/**
 * Allocator statistics.
 *
 * @param scope - `'thread'` (default): this thread's heap; `'process'`: every
 *   heap of the process, including heaps of exited threads not yet merged
 * @throws TypeError `ERR_INVALID_ARG_VALUE` for any other scope
 */
export function stats(scope: 'thread' | 'process' = 'thread'): HeapStats {
  if (scope !== 'thread' && scope !== 'process') {
    throw argValue(`stats scope must be 'thread' or 'process', received ${describe(scope)}`);
  }
  const s = native.stats(scope === 'process');
  if (s === undefined) throw nativeFailure('stats()', s);
  return s;
}
