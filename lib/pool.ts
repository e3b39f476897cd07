/**
 * Fast mode: every pool (32 MiB) is exposed to JavaScript once per thread as
 * one external ArrayBuffer, and a block is a view into it (huge blocks get a
 * buffer of their own). Pool buffers are pinned by the core while any buffer
 * shows them, so a range script can view is never unmapped.
 *
 * If script detaches a pool buffer (`view.buffer.transfer()`), the moved
 * buffer keeps the pin, and the next allocation from that pool re-exposes it
 * as a fresh buffer: allocation carries on transparently.
 */
import { POOL_SIZE } from './constants';
import { nativeFailure } from './codes';
import { OffheapError } from './errors';
import { native, state as S, type PoolView } from './state';
import type { TypedArray, TypedArrayConstructor } from './types';
import { isDetached } from './views';

function expose(addr: number): PoolView & { huge: boolean } {
  const c = native.exposeChunk(addr);
  if (c === null) {
    // Cannot happen for a block we own; keep a clear error rather than a crash.
    throw new OffheapError('ERR_OFFHEAP_INVALID_VIEW', `offheap: no chunk contains address ${addr}`);
  }
  if (typeof c !== 'object') throw nativeFailure('exposing a pool to JavaScript', c);
  return { buffer: c.buffer, data: c.data, end: c.data + c.size, huge: c.huge };
}

/** @internal Buffer and data address of the chunk holding block `addr`; updates the caches. */
export function chunkFor(addr: number): PoolView {
  const key = Math.floor(addr / POOL_SIZE);
  let p = S.pools.get(key);
  if (p === undefined || addr < p.data || addr >= p.end || isDetached(p.buffer)) {
    const c = expose(addr);
    if (c.huge) {
      S.bufData.set(c.buffer, -c.data);
      return c;
    }
    S.bufData.set(c.buffer, c.data);
    p = { buffer: c.buffer, data: c.data, end: c.end };
    S.pools.set(key, p);
  }
  S.lastBuf = p.buffer;
  S.lastData = p.data;
  S.lastEnd = p.end;
  return p;
}

/**
 * @internal A view of `length` elements over block `addr`, which the caller
 * owns. On any failure the block is freed before the error propagates, so a
 * failed call never leaks.
 */
export function poolView<T extends TypedArray>(ctor: TypedArrayConstructor<T>, addr: number, length: number): T {
  try {
    const p = chunkFor(addr);
    return new ctor(p.buffer, addr - p.data, length);
  } catch (e) {
    native.free(addr);
    throw e;
  }
}
