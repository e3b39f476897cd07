import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

describe('entry points', () => {
  it('ESM (import) and CommonJS (require) expose the same functions from one instance', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import * as esm from 'offheap';
       import def from 'offheap';
       import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('offheap');
       const names = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
       const esmNames = Object.keys(esm).filter((k) => k !== 'default').sort();
       const same = names.every((k) => esm[k] === cjs[k]) && def === cjs;
       const v = esm.alloc(64);
       cjs.free(v); // a view from one entry point frees through the other
       let code = null; try { esm.free(v); } catch (e) { code = e.code; }
       console.log(JSON.stringify({ names, esmNames, same, code, isErr: new cjs.OffheapError('ERR_OFFHEAP_OOM', 'x') instanceof esm.OffheapError }));`,
    ]);
    const r = JSON.parse(out);
    expect(r.names).toEqual(r.esmNames);
    for (const k of ['alloc', 'allocZeroed', 'allocArray', 'free', 'gc', 'stats', 'configure', 'getConfig', 'handleOf', 'adopt', 'OffheapError']) {
      expect(r.names).toContain(k);
    }
    expect(r.same).toBe(true);
    expect(r.code).toBe('ERR_OFFHEAP_INVALID_FREE');
    expect(r.isErr).toBe(true);
  });

  it('type-checks a TypeScript consumer against dist/*.d.ts (ESM and CJS)', () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    let out = '';
    try {
      out = execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.test.json')], { cwd: ROOT, encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout) + String((e as { stderr?: string }).stderr);
      expect.fail(`tsc failed:\n${out}`);
    }
    expect(out).toBe('');
  }, 120_000);
});
