import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST, expectOffheapError, oh } from './helpers';

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
    // Node's own codes
    const codeOf = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return [(e as Error).name, (e as { code?: string }).code];
      }
      return 'no error';
    };
    expect(codeOf(() => oh.configure(null as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
    expect(codeOf(() => oh.configure({ swapdir: dir } as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_VALUE']);
    expect(codeOf(() => oh.configure({ swap: 1 } as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
    expect(codeOf(() => oh.configure({ swap: 'sometimes' } as never))).toEqual(['RangeError', 'ERR_INVALID_ARG_VALUE']);
    expect(codeOf(() => oh.configure({ swapDir: 1 } as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
    expect(codeOf(() => oh.configure({ checked: 'yes' } as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
    expect(codeOf(() => oh.configure({ slabBudget: -1 }))).toEqual(['RangeError', 'ERR_OUT_OF_RANGE']);
    expect(codeOf(() => oh.stats('global' as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_VALUE']);
    expect(codeOf(() => oh.handleOf({} as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
    expect(codeOf(() => oh.adopt(null as never))).toEqual(['TypeError', 'ERR_INVALID_ARG_TYPE']);
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

  it('rejects a swap directory it cannot write to, at configure time', () => {
    const c0 = oh.getConfig();
    // /proc is a directory nobody, not even root, can create files in
    expectOffheapError(() => oh.configure({ swapDir: '/proc' }), 'ERR_OFFHEAP_CONFIG');
    expectOffheapError(() => oh.configure({ swapDir: '/proc', swap: 'always' }), 'ERR_OFFHEAP_CONFIG');
    expect(oh.getConfig()).toEqual(c0); // nothing applied
  });

  it('resolves a relative swapDir to an absolute path when configure is called', () => {
    const c0 = oh.getConfig();
    const rel = relative(process.cwd(), dir);
    expect(isAbsolute(rel)).toBe(false);
    oh.configure({ swapDir: rel });
    try {
      const got = oh.getConfig().swapDir!;
      expect(isAbsolute(got), got).toBe(true); // later chdir()s cannot move it
      expect(resolve(got)).toBe(resolve(dir));
    } finally {
      oh.configure({ swapDir: c0.swapDir! });
    }
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
      const oh = require(${JSON.stringify(DIST)});
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

  it('OFFHEAP_SWAP=bogus or an OFFHEAP_SWAP_DIR that is not a writable directory fails when the package loads', () => {
    const load = (env: Record<string, string>) => {
      const r = spawnSync(
        process.execPath,
        ['-e', `try { require(${JSON.stringify(DIST)}) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); process.exit(3) }`],
        { env: { ...process.env, OFFHEAP_SWAP: '', OFFHEAP_SWAP_DIR: '', ...env }, encoding: 'utf8' },
      );
      return { status: r.status, out: r.stdout.trim() ? JSON.parse(r.stdout.trim()) : r.stderr };
    };
    const bogus = load({ OFFHEAP_SWAP: 'bogus' });
    expect(bogus.status).toBe(3);
    expect(bogus.out.code).toBe('ERR_OFFHEAP_CONFIG');
    expect(bogus.out.message).toContain('OFFHEAP_SWAP');
    expect(bogus.out.message).toContain('bogus');
    for (const d of [join(dir, 'missing'), '/proc']) {
      const r = load({ OFFHEAP_SWAP_DIR: d });
      expect(r.status).toBe(3);
      expect(r.out.code).toBe('ERR_OFFHEAP_CONFIG');
      expect(r.out.message).toContain('OFFHEAP_SWAP_DIR');
    }
    expect(load({ OFFHEAP_SWAP: 'never', OFFHEAP_SWAP_DIR: dir }).status).toBe(0);
  });

  it('OFFHEAP_SWAP=never is honoured', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `const oh = require(${JSON.stringify(DIST)}); oh.free(oh.alloc(1)); console.log(oh.getConfig().swap)`],
      { env: { ...process.env, OFFHEAP_SWAP: 'never' }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('never');
  });
});
