// offheap/arrow as a package subpath: the ES module entry works with Arrow's
// ES module build and the CommonJS entry with its CommonJS build, over one
// implementation; the main entry never loads apache-arrow; and a missing
// apache-arrow is a clear error naming the package to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'offheap-arrow-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

describe('offheap/arrow entry points', () => {
  it('ESM uses Arrow\'s ESM build, CJS its CJS build; memory from one is released by the other', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import * as esm from 'offheap/arrow';
       import def from 'offheap/arrow';
       import * as ArrowESM from 'apache-arrow';
       import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const cjs = require('offheap/arrow');
       const ArrowCJS = require('apache-arrow');
       const bytes = ArrowESM.tableToIPC(ArrowESM.tableFromArrays({ x: Float64Array.of(1, 2, 3) }));
       const te = esm.readIPC(bytes), tc = cjs.readIPC(bytes);
       const names = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
       const esmNames = Object.keys(esm).filter((k) => k !== 'default').sort();
       console.log(JSON.stringify({
         names, esmNames, def: def.readIPC === esm.readIPC,
         esmTable: Object.getPrototypeOf(te) === ArrowESM.Table.prototype,
         cjsTable: Object.getPrototypeOf(tc) === ArrowCJS.Table.prototype,
         twoArrows: ArrowESM.Table !== ArrowCJS.Table,
         crossRelease: [cjs.release(te), esm.release(tc), esm.release(te)],
         builder: esm.utf8Column(['a', null]).get(0),
       }));`,
    ]);
    const r = JSON.parse(out);
    expect(r.names).toEqual(r.esmNames);
    expect(r.names).toEqual(['adoptTable', 'binaryBuilder', 'binaryColumn', 'handleOfTable', 'readIPC', 'release', 'utf8Builder', 'utf8Column', 'validityBitmap', 'writeIPC']);
    expect(r).toMatchObject({ def: true, esmTable: true, cjsTable: true, twoArrows: true, crossRelease: [1, 1, 0], builder: 'a' });
  });

  it('the main entry (ESM and CJS) never loads apache-arrow', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import * as oh from 'offheap';
       import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       require('offheap').free(oh.alloc(8));
       console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('apache-arrow'))));`,
    ]);
    expect(JSON.parse(out)).toEqual([]);
  });

  it('without apache-arrow: loading offheap/arrow (ESM or CJS) fails saying what to install; offheap itself works', () => {
    // A preload that makes apache-arrow unresolvable, for require and for import.
    const hide = join(dir, 'hide-arrow.mjs');
    writeFileSync(
      hide,
      `import Module, { register } from 'node:module';
       const resolve = Module._resolveFilename;
       Module._resolveFilename = function (req, ...rest) {
         if (req === 'apache-arrow') { const e = new Error("Cannot find module 'apache-arrow'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
         return resolve.call(this, req, ...rest);
       };
       register('data:text/javascript,' + encodeURIComponent(
         'export async function resolve(s, c, next) { if (s === "apache-arrow") { const e = new Error("Cannot find package apache-arrow"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }'));`,
    );
    const run = (code: string, type: string) =>
      spawnSync(process.execPath, ['--import', hide, `--input-type=${type}`, '-e', code], { cwd: ROOT, encoding: 'utf8' });
    const cjs = run(`require('offheap').free(require('offheap').alloc(8)); try { require('offheap/arrow') } catch (e) { console.log(JSON.stringify([e.code, e.message])) }`, 'commonjs');
    const esm = run(`await import('offheap'); try { await import('offheap/arrow') } catch (e) { console.log(JSON.stringify([e.code, e.message])) }`, 'module');
    for (const r of [cjs, esm]) {
      expect(r.status, r.stderr).toBe(0);
      const [code, message] = JSON.parse(r.stdout.trim());
      expect(code).toMatch(/^(ERR_)?MODULE_NOT_FOUND$/);
      expect(message).toContain('npm install apache-arrow@21');
      expect(message).toContain('optional peer dependency');
    }
  });
});
