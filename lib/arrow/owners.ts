/**
 * Which offheap memory a buffer of an Arrow table lives in. Views are read
 * through the intrinsic getters (lib/views.ts), never their own properties.
 *
 * - `own`: a buffer that is one block or one file mapping (blocks made by
 *   this module, `mapFile` mappings, checked-mode blocks, adopted blocks).
 *   The buffer object names the memory: it is detached when the block is
 *   freed, so a buffer can never come to show another allocation.
 * - `huge`: a fast-mode block above 16 MiB with its own buffer. Its memory
 *   is pinned while the buffer lives, so the buffer names it too.
 * - `pool`: a fast-mode view into a 32 MiB pool buffer. Only the view's
 *   address names the block, and only a view that starts the block can free
 *   or hand it off (the allocator has no interior-pointer lookup for JS).
 *
 * Arena memory is never freed or handed off block by block, and anything
 * else (V8 heap buffers, other libraries' memory) is not offheap's.
 */
import { arenaRegistry, isArenaAddress } from '../arena-registry';
import { isChecked } from '../checked';
import { native, state as S } from '../state';
import { isDetached, viewParts } from '../views';

/** @internal */
export type Owner =
  | { readonly kind: 'own'; readonly buffer: ArrayBuffer; readonly size: number }
  | { readonly kind: 'huge'; readonly buffer: ArrayBuffer; readonly address: number; readonly size: number }
  | { readonly kind: 'pool'; readonly address: number }
  | { readonly kind: 'arena' }
  | { readonly kind: 'detached' }
  | { readonly kind: 'foreign' };

const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;

/** @internal Where view `v` (a real typed array) lives, and its byte range inside that. */
export function ownerOf(v: ArrayBufferView): { owner: Owner; buffer: ArrayBufferLike; byteOffset: number; byteLength: number } {
  const p = viewParts(v)!;
  const buf = p.buffer as ArrayBuffer;
  const range = { buffer: p.buffer, byteOffset: p.byteOffset, byteLength: p.byteLength };
  if (arenaRegistry.bufs.has(buf)) return { owner: { kind: 'arena' }, ...range };
  if (isChecked(buf)) {
    if (isDetached(buf)) return { owner: { kind: 'detached' }, ...range };
    return { owner: { kind: 'own', buffer: buf, size: abByteLength.call(buf) as number }, ...range };
  }
  const d = S.bufData.get(buf);
  if (d === undefined) return { owner: { kind: 'foreign' }, ...range };
  if (p.detached) return { owner: { kind: 'detached' }, ...range };
  if (isArenaAddress((d < 0 ? -d : d) + p.byteOffset)) return { owner: { kind: 'arena' }, ...range };
  if (d < 0) {
    return { owner: { kind: 'huge', buffer: buf, address: -d, size: abByteLength.call(buf) as number }, ...range };
  }
  return { owner: { kind: 'pool', address: d + p.byteOffset }, ...range };
}

/** @internal Size of the live block starting at `address`, 0 if none starts there. */
export function blockSizeAt(address: number): number {
  const n = native.usableSize(address);
  return typeof n === 'number' && n > 0 ? n : 0;
}
