import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { OffheapHandle } from '../lib/index';
import { DIST, ROOT, collectGarbage, expectOffheapError, oh } from './helpers';

const script = join(ROOT, 'test/fixtures/worker.cjs');
const dist = DIST;

interface Item { seq: number; handle: OffheapHandle }

const exits = new WeakMap<Worker, Promise<number>>();
function start(mode: string, extra: Record<string, unknown> = {}): Worker {
  const w = new Worker(script, { workerData: { mode, dist, ...extra } });
  exits.set(w, new Promise((resolve) => w.once('exit', resolve))); // before it can exit
  return w;
}
function exited(w: Worker): Promise<number> {
  return exits.get(w)!;
}
function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}
function fill(v: Uint8Array, seq: number): void {
  for (let i = 0; i < v.length; i++) v[i] = (seq * 31 + i) & 0xff;
}
function check(v: Uint8Array, seq: number): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== ((seq * 31 + i) & 0xff)) return false;
  return true;
}
const sizeOf = (seq: number) => 1 + ((seq * 7919) % 6000);

/** Merges exited workers' heaps and unmaps what nothing references. */
async function settle(): Promise<void> {
  oh.gc();
  await collectGarbage(); // pool buffers this thread no longer uses are collected: unpinned
  oh.gc();
  oh.gc();
}

describe('worker_threads', () => {
  it('ping-pong: 10,000 handles each way between main and 2 workers, data checked on both sides', async () => {
    await settle();
    const start0 = oh.stats('process').bytesLive;
    const perWorker = 5000;
    const workers = [start('pingpong', { count: perWorker }), start('pingpong', { count: perWorker })];
    let sent = 0;
    let received = 0;
    let badMain = 0;
    let badWorkers = 0;
    const threadStats: Array<{ bytesLive: number }> = [];
    const done = workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.on('error', reject);
          w.on('message', (m: { replies?: Item[]; bad: number; done?: boolean; thread?: { bytesLive: number } }) => {
            if (m.done) {
              badWorkers += m.bad;
              threadStats.push(m.thread!);
              resolve();
              return;
            }
            for (const { seq, handle } of m.replies!) {
              const v = oh.adopt(handle);
              if (v.length !== sizeOf(seq) || !check(v, seq)) badMain++;
              oh.free(v); // cross-thread free of the worker's block
              received++;
            }
          });
        }),
    );
    const batch = 50;
    for (let i = 0; i < 2 * perWorker; i += batch) {
      const w = workers[(i / batch) % 2]!;
      const items: Item[] = [];
      for (let seq = i; seq < i + batch; seq++) {
        const v = oh.alloc(sizeOf(seq));
        fill(v, seq);
        items.push({ seq, handle: oh.handleOf(v) });
        sent++;
      }
      w.postMessage(items);
      if ((i / batch) % 20 === 19) await new Promise((r) => setImmediate(r)); // let replies flow
    }
    await Promise.all(done);
    await Promise.all(workers.map(exited));
    expect(sent).toBe(10_000);
    expect(received).toBe(10_000);
    expect(badWorkers).toBe(0);
    expect(badMain).toBe(0);
    // each worker's heap described only its own blocks (all handed off or freed by then)
    expect(threadStats).toHaveLength(2);
    await settle();
    expect(oh.stats('process').bytesLive).toBe(start0);
  }, 120_000);

  it("stats('thread') in a worker is that worker's heap; stats('process') sums all heaps", async () => {
    const mine = oh.alloc(1 << 20);
    const w = start('hold', { count: 1, exit: 'return' });
    const m = await nextMessage<{ handles: Item[]; thread: { bytesLive: number; allocCount: number }; process: { bytesLive: number; heapsLive: number } }>(w);
    await exited(w);
    // the worker allocated one block of sizeOf(0) = 1 B (64 B block) plus the 1 MiB block it kept
    expect(m.thread.bytesLive).toBe(64 + (1 << 20));
    expect(m.thread.allocCount).toBe(2);
    expect(m.process.bytesLive).toBeGreaterThanOrEqual(m.thread.bytesLive + (1 << 20));
    expect(m.process.heapsLive).toBeGreaterThanOrEqual(2);
    oh.free(oh.adopt(m.handles[0]!.handle));
    oh.free(mine);
  });

  it('a worker terminated while main holds 1,000 of its blocks: main reads them intact and frees them', async () => {
    await settle();
    const start0 = oh.stats('process').bytesLive;
    const w = start('hold', { count: 1000, exit: 'terminate', huge: true });
    const m = await nextMessage<{ handles: Item[] }>(w);
    const views = m.handles.map(({ seq, handle }) => ({ seq, v: oh.adopt(handle) }));
    await w.terminate();
    await exited(w).catch(() => undefined);
    await settle(); // main merges the dead worker's heap
    expect(oh.stats('process').heapsPending).toBe(0);
    let intact = 0;
    for (const { seq, v } of views) {
      const len = seq === 0 ? (18 << 20) + seq : sizeOf(seq);
      if (v.length === len && check(v, seq)) intact++;
    }
    expect(intact).toBe(1000);
    for (const { v } of views) oh.free(v);
    await settle();
    // everything the worker allocated is gone except the 1 MiB block it kept alive when it died
    expect(oh.stats('process').bytesLive - start0).toBe(1 << 20);
  }, 60_000);

  it('blocks outlive workers that exit by process.exit() or an uncaught error', async () => {
    for (const exit of ['process.exit', 'throw', 'return']) {
      const w = start('hold', { count: 20, exit });
      w.on('error', () => undefined); // the 'throw' worker's uncaught error
      const m = await nextMessage<{ handles: Item[] }>(w);
      await exited(w);
      await settle();
      for (const { seq, handle } of m.handles) {
        const v = oh.adopt(handle);
        expect(check(v, seq), `${exit} block ${seq}`).toBe(true);
        oh.free(v);
      }
    }
  }, 60_000);

  it('500 workers in sequence (half terminate(), half exit), 100 blocks each: memory returns, mapping stays bounded', async () => {
    await settle();
    const s0 = oh.stats('process');
    let maxMapped = 0;
    let maxHeaps = 0;
    let bad = 0;
    for (let i = 0; i < 500; i++) {
      const exit = i % 2 === 0 ? 'terminate' : 'return';
      const w = start('hold', { count: 100, exit, keep: false });
      const m = await nextMessage<{ handles: Item[] }>(w);
      for (const { seq, handle } of m.handles) {
        const v = oh.adopt(handle);
        if (!check(v, seq)) bad++;
        oh.free(v);
      }
      if (exit === 'terminate') await w.terminate();
      await exited(w).catch(() => undefined);
      if (i % 25 === 24) {
        await settle();
        const s = oh.stats('process');
        maxMapped = Math.max(maxMapped, s.bytesMapped);
        maxHeaps = Math.max(maxHeaps, s.heapsLive + s.heapsPending);
      }
    }
    await settle();
    const s1 = oh.stats('process');
    expect(bad).toBe(0);
    // every block was handed to main and freed there: back to the start
    expect(s1.bytesLive).toBe(s0.bytesLive);
    // no pool kept per dead worker (500 workers x 32 MiB would be 16 GiB)
    expect(s1.bytesMapped).toBeLessThanOrEqual(s0.bytesMapped + 4 * 32 * (1 << 20));
    expect(maxMapped).toBeLessThanOrEqual(s0.bytesMapped + 8 * 32 * (1 << 20));
    // heaps of dead workers are merged and their slots reused, not accumulated
    expect(s1.heapsPending).toBe(0);
    expect(maxHeaps).toBeLessThan(s0.heapsLive + 30);
    expect(s1.heapsLive).toBeLessThanOrEqual(s0.heapsLive + 1);
  }, 300_000);

  it('bad and repeated handles across threads: one adopt wins, the rest get ERR_OFFHEAP_INVALID_HANDLE', async () => {
    const v = oh.alloc(64);
    v[0] = 123;
    const h = oh.handleOf(v);
    const freed = oh.alloc(64);
    const hf = oh.handleOf(freed);
    oh.free(oh.adopt(hf)); // adopted and freed: its handle is dead
    const w1 = start('adopt');
    const w2 = start('adopt');
    const r1p = nextMessage<Array<{ ok: boolean; first?: number; code?: string; name?: string }>>(w1);
    const r2p = nextMessage<Array<{ ok: boolean; first?: number; code?: string; name?: string }>>(w2);
    const forged = { ...h, tag: h.tag ^ 1 };
    w1.postMessage([h, forged, hf, { ...h, address: 'x' }]);
    w2.postMessage([h, h]);
    const [r1, r2] = await Promise.all([r1p, r2p]);
    await Promise.all([exited(w1), exited(w2)]);
    const genuine = [r1[0]!, r2[0]!, r2[1]!];
    expect(genuine.filter((r) => r.ok)).toEqual([{ ok: true, first: 123 }]);
    for (const r of genuine.filter((x) => !x.ok)) expect(r).toEqual({ ok: false, code: 'ERR_OFFHEAP_INVALID_HANDLE', name: 'OffheapError' });
    for (const r of r1.slice(1)) expect(r).toEqual({ ok: false, code: 'ERR_OFFHEAP_INVALID_HANDLE', name: 'OffheapError' });
    // the winner freed it in its thread; main can no longer adopt it
    expectOffheapError(() => oh.adopt(h), 'ERR_OFFHEAP_INVALID_HANDLE');
  }, 60_000);
});
