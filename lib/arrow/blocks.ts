/**
 * The blocks `offheap/arrow` allocates itself (IPC bytes, builder columns,
 * table layouts) each get their own external ArrayBuffer, whatever this
 * thread's mode, the way checked mode makes them: the buffer is detached when
 * the block is freed, so a table whose memory was released shows empty
 * buffers, never another allocation's bytes, and release can tell a freed
 * block from a live one by its buffer alone. One buffer per block costs about
 * a microsecond, nothing next to the columns it holds. A block no JavaScript
 * value refers to any more is freed when V8 collects its buffer.
 */
import { checkedBuffer } from '../checked';
import { nativeFailure } from '../codes';
import { native, state as S } from '../state';

/** @internal A new block of exactly `size` bytes (>= 1) with its own buffer. */
export function ownBlock(size: number): ArrayBuffer {
  return checkedBuffer(size);
}

/** @internal Frees a block made by ownBlock (or adopted); a no-op for one already freed. */
export function freeOwn(buf: ArrayBuffer): void {
  native.freeChecked(buf);
}

/**
 * @internal Takes a block handed over with a ticket (see lib/handles.ts)
 * into a buffer of its own; null if the ticket or tag is refused.
 */
export function adoptOwn(address: number, byteLength: number, ticket: number, tag: number): ArrayBuffer | null {
  const r = native.adoptChecked(address, byteLength, ticket, tag);
  if (r === native.EINVAL) return null;
  if (!(r instanceof ArrayBuffer)) throw nativeFailure('adopting a table block', r);
  S.checkedBufs.add(r);
  return r;
}
