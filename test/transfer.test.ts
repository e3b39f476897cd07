// ArrayBuffer.prototype.transfer() (Node >= 22) on offheap buffers (issue 10
// #5): memory behind a live ArrayBuffer is never released or reused, and a
// transferred pool buffer is re-exposed transparently. Node 20 has no
// transfer(): these tests show as skipped there.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST, NODE_MAJOR, ROOT, expectOffheapError, oh } from './helpers';

type Transferable = ArrayBuffer & { transfer(): ArrayBuffer };

describe.runIf(NODE_MAJOR >= 22)('ArrayBuffer.prototype.transfer()', () => {
  it('fast mode: allocation carries on after the pool buffer was transferred', () => {
    const v = oh.alloc(100);
    v.fill(5);
    const poolSize = v.buffer.byteLength;
    const moved = (v.buffer as Transferable).transfer();
    expect(v.length).toBe(0); // detached
    expect(moved.byteLength).toBe(poolSize);
    // blocks from the same pool: a fresh buffer over it, transparently
    const xs = Array.from({ length: 200 }, (_, i) => oh.alloc(100).fill(i & 0xff));
    xs.forEach((x, i) => expect(x.every((b) => b === (i & 0xff))).toBe(true));
    for (const x of xs) expect(x.buffer.byteLength).toBe(poolSize);
    const f = oh.allocArray(Float64Array, 16);
    f[15] = 1.5;
    expect(f[15]).toBe(1.5);
    xs.forEach((x) => oh.free(x));
    oh.free(f);
    // the detached view identifies no block any more: a clear error, nothing freed
    expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_DETACHED');
    expectOffheapError(() => oh.handleOf(v), 'ERR_OFFHEAP_DETACHED');
    expect(new Uint8Array(moved).length).toBe(poolSize); // the moved buffer still shows the pool
  });

  it('checked mode: free of a moved block is ERR_OFFHEAP_DETACHED; the moved buffer keeps its memory until collected', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'test/fixtures/transfer-checked.cjs'), DIST], { encoding: 'utf8', timeout: 120_000 });
    expect({ status: r.status, signal: r.signal }, r.stdout + r.stderr).toEqual({ status: 0, signal: null });
    const out = JSON.parse(r.stdout.trim());
    expect(out).toEqual({
      bigFree: 'ERR_OFFHEAP_DETACHED',
      bigHandle: 'ERR_OFFHEAP_DETACHED',
      smallFree: 'ERR_OFFHEAP_DETACHED',
      bigIntact: true,
      smallIntact: true,
      heldWhileMoved: (64 << 20) + 128,
      afterCollect: 0,
    });
  }, 120_000);
});
