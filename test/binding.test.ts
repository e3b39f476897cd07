// The native binding's own contract (internal API used by the facade).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../lib/native';
import { DIST, oh } from './helpers';

const require = createRequire(import.meta.url);
const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
// the package under test (this checkout unless OFFHEAP_TEST_DIST names another build)
const pkgRoot = dirname(dirname(DIST));
const addonPath = nodeGypBuild.path(pkgRoot);

function load(): NativeBinding {
  const m = { exports: {} as NativeBinding };
  process.dlopen(m, addonPath); // a fresh instance in this env, like a second copy of the package
  return m.exports;
}

describe('native binding', () => {
  it('argument API: address or -errno; 0 or OFFHEAP_EINVAL; never crashes on bad input', () => {
    const b = load();
    for (const bad of [0, -1, NaN, Infinity, 2 ** 44 + 1, 'x', undefined]) expect(b.alloc(bad as never)).toBe(-22);
    const a = b.alloc(100);
    expect(a).toBeGreaterThan(0);
    expect(a % 64).toBe(0);
    expect(b.usableSize(a)).toBe(128);
    expect(b.usableSize(a + 64)).toBe(0);
    expect(b.free(a + 64)).toBe(b.EINVAL); // interior
    expect(b.free(a)).toBe(0);
    expect(b.free(a)).toBe(b.EINVAL); // double
    for (const bad of [0, 1, 4096, 1.5, -64, NaN, 'x', undefined]) expect(b.free(bad as never)).toBe(b.EINVAL);
  });

  it('register API and a second instance in the same thread agree with the facade', () => {
    const b = load();
    const R = new Float64Array(b.registers);
    const before = oh.stats().bytesLive;
    R[0] = 4096;
    b.allocR();
    const a = R[0]!;
    expect(a).toBeGreaterThan(0);
    expect(a % 4096).toBe(0);
    expect(oh.stats().bytesLive - before).toBe(4096); // one heap per thread, whatever the instance
    R[0] = 0;
    b.allocR();
    expect(R[0]).toBe(-22);
    R[0] = a;
    b.freeR();
    expect(R[0]).toBe(0);
    R[0] = a;
    b.freeR();
    expect(R[0]).toBe(b.EINVAL);
    expect(oh.stats().bytesLive).toBe(before);
    // the facade keeps working after another instance was created
    const v = oh.alloc(10);
    oh.free(v);
  });

  it('exposeChunk returns a pinned buffer over the chunk, or null for foreign addresses', () => {
    const b = load();
    const a = b.alloc(1000);
    const c = b.exposeChunk(a)!;
    expect(c.buffer).toBeInstanceOf(ArrayBuffer);
    expect(c.buffer.byteLength).toBe(c.size);
    expect(a).toBeGreaterThanOrEqual(c.data);
    expect(a + 1024).toBeLessThanOrEqual(c.data + c.size);
    expect(c.base % b.POOL_SIZE).toBe(0);
    expect(c.huge).toBe(false);
    expect(b.pinCount()).toBeGreaterThanOrEqual(1);
    expect(b.exposeChunk(4096)).toBeNull();
    expect(b.exposeChunk(0)).toBeNull();
    b.free(a);
  });

  it('loads from build/ in a checkout', () => {
    expect(existsSync(join(pkgRoot, 'build/Release/offheap.node')), 'build the addon first (npm run build:addon)').toBe(true);
    expect(addonPath).toBe(join(pkgRoot, 'build/Release/offheap.node'));
  });

  it('never throws: bad arguments to every function give a code or null', () => {
    const b = load();
    const junk = [undefined, null, 'x', {}, -1, 1.5, NaN, 2 ** 60];
    for (const x of junk) {
      expect(b.exposeChunk(x as never)).toBeNull();
      expect(b.usableSize(x as never)).toBe(0);
      expect(b.allocChecked(x as never)).toBe(-22);
      expect(b.freeChecked(x as never)).toBe(b.EINVAL);
      expect(b.handoff(x as never, 64)).toBe(b.EINVAL);
      expect(b.handoffChecked(x as never, 64)).toBe(b.EINVAL);
      expect(b.adopt(x as never, 64, 1, 1)).toBe(b.EINVAL);
      expect(b.adoptChecked(x as never, 64, 1, 1)).toBe(b.EINVAL);
      expect(b.configure(x as never, null, 0, 0, 0, 0)).toBe(b.EINVAL);
    }
    expect(b.freeChecked(new ArrayBuffer(8))).toBe(b.EINVAL);
    expect(typeof b.stats('x' as never).bytesLive).toBe('number');
  });

  it('handoff bounds the length by the block: longer or empty is EINVAL and nothing goes in transit', () => {
    const b = load();
    const a = b.alloc(100); // a 128-byte block
    expect(b.handoff(a, 129)).toBe(b.EINVAL);
    expect(b.handoff(a, 1 << 30)).toBe(b.EINVAL);
    expect(b.handoff(a, 0)).toBe(b.EINVAL);
    expect(b.handoff(a + 64, 64)).toBe(b.EINVAL); // interior
    const r = b.handoff(a, 128) as [number, number];
    expect(r).toEqual([expect.any(Number), expect.any(Number)]);
    const [ticket, tag] = r;
    expect(b.free(a)).toBe(b.EINVAL); // in transit
    expect(b.adopt(a, 128, ticket + 1, tag)).toBe(b.EINVAL); // another generation
    expect(b.adopt(a, 64, ticket, tag)).toBe(b.EINVAL); // edited length
    expect(b.adopt(a, 128, ticket, tag)).toBe(0);
    expect(b.adopt(a, 128, ticket, tag)).toBe(b.EINVAL); // exactly once
    expect(b.free(a)).toBe(0);
  });
});
