/**
 * Public constants and the size limits of this runtime.
 */
import { constants as bufferConstants } from 'node:buffer';
import { native } from './state';

/** Largest request in bytes (2^44, the C core's `OFFHEAP_MAX_ALLOC`). */
export const MAX_ALLOC: number = native.MAX_ALLOC;
/** Pool size in bytes (32 MiB); requests above half of it get their own mapping. */
export const POOL_SIZE: number = native.POOL_SIZE;
/** Smallest block in bytes (64). */
export const MIN_BLOCK: number = 2 ** native.MIN_ORDER;

/**
 * @internal Largest ArrayBuffer this Node.js can make (`buffer.constants.MAX_LENGTH`):
 * 4 GiB on Node 20, 2^53 - 1 on Node >= 22. A block is one view, so requests
 * above it are refused before anything is allocated.
 */
export const MAX_BUFFER: number = bufferConstants.MAX_LENGTH;
/** @internal Largest request this runtime can serve as one view. */
export const MAX_REQUEST: number = Math.min(MAX_ALLOC, MAX_BUFFER);
