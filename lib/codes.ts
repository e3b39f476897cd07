/**
 * Turns the native binding's result codes into errors. The binding never
 * throws (see native/binding/binding.h); these are the errors it means.
 */
import { OffheapError, outOfRange } from './errors';
import { native } from './state';

/** @internal The error for a failed or refused native call that returned `r`. */
export function nativeFailure(what: string, r: unknown): OffheapError {
  if (r === native.SANDBOX) {
    return new OffheapError(
      'ERR_OFFHEAP_SANDBOX',
      'offheap cannot create external ArrayBuffers in this runtime: the V8 sandbox (Electron >= 21 ' +
        'and other embedders) forbids ArrayBuffers over memory allocated outside V8 ' +
        '(napi_no_external_buffers_allowed). offheap needs external buffers; run it in Node.js or in an ' +
        'Electron process with the sandbox disabled.',
    );
  }
  return new OffheapError('ERR_OFFHEAP_NATIVE', `offheap: the native binding could not complete ${what} (result ${String(r)})`);
}

/** @internal The error for a failed allocation of `size` bytes (`r`: -errno or a binding code). */
export function allocFailure(r: unknown, size: number): Error {
  if (r === -native.ENOMEM || r === 0) {
    return new OffheapError(
      'ERR_OFFHEAP_OOM',
      size > 0
        ? `offheap: out of memory allocating ${size} bytes (anonymous and file-backed memory refused)`
        : 'offheap: out of memory (the hand-off ticket table could not grow)',
    );
  }
  if (r === -22) return outOfRange(`the allocator rejected size ${size}`);
  if (typeof r === 'number' && r < 0 && r > -1000) {
    return new OffheapError('ERR_OFFHEAP_OOM', `offheap: allocation of ${size} bytes failed (errno ${-r})`);
  }
  return nativeFailure(`an allocation of ${size} bytes`, r);
}
