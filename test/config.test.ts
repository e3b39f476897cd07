import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, expectOffheapError, oh } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'offheap-swap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configure / getConfig', () => {
  it('reports the current configuration', () => {
    const c = oh.getConfig();
    expect(['auto', 'always', 'never']).toContain(c.swap);
    expect(typeof c.swapDir).toBe('string');
    expect(c.checked).toBe(false);
    for (const k of ['slabBudget', 'hugeCacheBytes', 'retainBytes'] as const) expect(typeof c[k]).toBe('number');
  });

  it('applies budgets and restores them', () => {
    const c0 = oh.getConfig();
    oh.configure({ slabBudget: 1 << 16, retainBytes: 1 << 20, hugeCacheBytes: 1 << 21 });
    const c1 = oh.getConfig();
    expect(c1.slabBudget).toBe(1 << 16);
    expect(c1.retainBytes).toBe(1 << 20);
    expect(c1.hugeCacheBytes).toBe(1 << 21);
    oh.configure({ slabBudget: c0.slabBudget, retainBytes: c0.retainBytes, hugeCacheBytes: c0.hugeCacheBytes });
    expect(oh.getConfig()).toEqual(c0);
  });

  it('rejects bad options with TypeError / RangeError and applies nothing', () => {
    const c0 = oh.getConfig();
    for (const bad of [null, undefined, 1, 'x', [], true]) expect(() => oh.configure(bad as never)).toThrow(TypeError);
    expect(() => oh.configure({ swapdir: dir } as never)).toThrow(TypeError); // typo: unknown key
    expect(() => oh.configure({ swap: 1 } as never)).toThrow(TypeError);
    expect(() => oh.configure({ swap: 'sometimes' } as never)).toThrow(RangeError);
    expect(() => oh.configure({ swapDir: 1 } as never)).toThrow(TypeError);
    expect(() => oh.configure({ checked: 'yes' } as never)).toThrow(TypeError);
    expect(() => oh.configure({ slabBudget: '1' } as never)).toThrow(TypeError);
    expect(() => oh.configure({ slabBudget: -1 })).toThrow(RangeError);
    expect(() => oh.configure({ retainBytes: 1.5 })).toThrow(RangeError);
    expect(() => oh.configure({ hugeCacheBytes: NaN })).toThrow(RangeError);
    // a valid field next to an invalid one is not applied either
    expect(() => oh.configure({ checked: true, swap: 'bogus' } as never)).toThrow(RangeError);
    expect(oh.getConfig()).toEqual(c0);
  });

  it('rejects a swap directory that does not exist or is a file with ERR_OFFHEAP_CONFIG', () => {
    const c0 = oh.getConfig();
    expectOffheapError(() => oh.configure({ swapDir: join(dir, 'missing') }), 'ERR_OFFHEAP_CONFIG');
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expectOffheapError(() => oh.configure({ swapDir: file }), 'ERR_OFFHEAP_CONFIG');
    expectOffheapError(() => oh.configure({ swapDir: '' }), 'ERR_OFFHEAP_CONFIG');
    rmSync(file);
    expect(oh.getConfig()).toEqual(c0);
  });

  it("swap 'always' backs new mappings with unlinked files in swapDir", () => {
    const c0 = oh.getConfig();
    oh.configure({ swapDir: dir, swap: 'always' });
    try {
      expect(resolve(oh.getConfig().swapDir!)).toBe(resolve(dir));
      expect(oh.getConfig().swap).toBe('always');
      const s0 = oh.stats();
      const h = oh.alloc(24 << 20); // huge: a new mapping, file-backed now
      const s1 = oh.stats();
      expect(s1.bytesSwap - s0.bytesSwap).toBeGreaterThanOrEqual(24 << 20);
      for (let i = 0; i < h.length; i += 4096) h[i] = i & 0xff;
      for (let i = 0; i < h.length; i += 4096) expect(h[i]).toBe(i & 0xff);
      expect(readdirSync(dir)).toEqual([]); // unlinked as soon as mapped
      oh.free(h);
    } finally {
      oh.configure({ swapDir: c0.swapDir!, swap: c0.swap });
    }
  });
});

describe('environment', () => {
  it('OFFHEAP_SWAP=always and OFFHEAP_SWAP_DIR set the defaults', () => {
    const script = `
      const oh = require(${JSON.stringify(join(ROOT, 'dist/index.js'))});
      const v = oh.alloc(100); v[0] = 1;
      const c = oh.getConfig(); const s = oh.stats();
      oh.free(v);
      console.log(JSON.stringify({ swap: c.swap, swapDir: c.swapDir, swapPools: s.swapPoolCount, bytesSwap: s.bytesSwap }));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, OFFHEAP_SWAP: 'always', OFFHEAP_SWAP_DIR: dir },
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim());
    expect(r.swap).toBe('always');
    expect(resolve(r.swapDir)).toBe(resolve(dir));
    expect(r.swapPools).toBeGreaterThanOrEqual(1);
    expect(r.bytesSwap).toBeGreaterThanOrEqual(32 << 20);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('OFFHEAP_SWAP=never is honoured', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `const oh = require(${JSON.stringify(join(ROOT, 'dist/index.js'))}); oh.free(oh.alloc(1)); console.log(oh.getConfig().swap)`],
      { env: { ...process.env, OFFHEAP_SWAP: 'never' }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('never');
  });
});
