// Shared test helpers. Tests load the built package (dist/, the files users
// get) through Node's own require, exactly as a CommonJS consumer would.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'vitest';
import type * as Offheap from '../lib/index';

const require = createRequire(import.meta.url);

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
/**
 * The built package under test: dist/ of this checkout, or another build
 * named by OFFHEAP_TEST_DIST (used to show that a new test fails against
 * the code before a fix).
 */
export const DIST: string = process.env.OFFHEAP_TEST_DIST ?? `${ROOT}/dist/index.js`;
export const oh: typeof Offheap = require(DIST);
/** Major version of the running Node.js (transfer() and > 4 GiB views need >= 22). */
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Asserts that fn throws an OffheapError with the given code. */
export function expectOffheapError(fn: () => unknown, code: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected OffheapError ${code}`).toBeInstanceOf(oh.OffheapError);
  expect((err as { code: string }).code).toBe(code);
  expect((err as Error).name).toBe('OffheapError');
}

setFlagsFromString('--expose-gc');
const v8gc = runInNewContext('gc') as () => void;

/** Full V8 GC, then lets N-API finalizers (deferred to the event loop) run. */
export async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    v8gc();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** bytesLive of this thread's heap. */
export function live(): number {
  return oh.stats('thread').bytesLive;
}

/** The same memory seen as bytes. */
export function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
