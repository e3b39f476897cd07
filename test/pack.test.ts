// The published package: `npm run prebuild`, `npm pack`, install the tarball
// into an empty project, and check that it loads the shipped prebuild (no
// compilation on install) and works from CommonJS and ESM.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const work = mkdtempSync(join(tmpdir(), 'offheap-pack-'));
let tarball = '';
let files: string[] = [];
const platformDir = `${process.platform}-${process.arch}`;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

beforeAll(() => {
  // Work on a copy so that rebuilding never touches this checkout's build/
  // (other test files load build/Release/offheap.node concurrently).
  // 1. pack the checkout as it is (dist/ is built by the pretest step)
  const first = JSON.parse(run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT));
  const src = join(work, 'src');
  execFileSync('mkdir', ['-p', src]);
  execFileSync('tar', ['-xzf', join(work, first[0].filename), '-C', src]);
  const pkg = join(src, 'package');
  rmSync(join(pkg, 'prebuilds'), { recursive: true, force: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  rmSync(join(work, first[0].filename));
  // 2. npm run prebuild there (prebuildify --napi --strip), then pack again
  run(npm, ['run', 'prebuild'], pkg);
  rmSync(join(pkg, 'build'), { recursive: true, force: true });
  const out = JSON.parse(run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], pkg));
  tarball = join(work, out[0].filename);
  files = out[0].files.map((f: { path: string }) => f.path);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm package', () => {
  it('ships dist (ESM + CJS + types), the prebuild, binding.gyp, native sources and README', () => {
    for (const f of ['package.json', 'README.md', 'binding.gyp', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts', 'native/include/offheap.h', 'native/binding/addon.cc']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith(`prebuilds/${platformDir}/`) && f.endsWith('.node'))).toBe(true);
    const coreSources = readdirSync(join(ROOT, 'native/src')).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
    for (const s of coreSources) expect(files, s).toContain(`native/src/${s}`);
    expect(files.some((f) => f.startsWith('build/') || f.startsWith('node_modules/') || f.startsWith('test/'))).toBe(false);
  });

  it('installs into an empty project using the prebuild (no rebuild) and works from CJS and ESM', () => {
    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    run(npm, ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball], app);
    const pkgDir = join(app, 'node_modules', 'offheap');
    expect(existsSync(join(pkgDir, 'build')), 'install must not compile when a prebuild matches').toBe(false);

    const cjs = `
      const oh = require('offheap');
      const path = require('node-gyp-build').path(require('path').dirname(require.resolve('offheap/package.json')));
      const s0 = oh.stats().bytesLive;
      const v = oh.alloc(4096); v.fill(7);
      const f = oh.allocArray(Float64Array, 16); f[15] = 2.5;
      const grew = oh.stats().bytesLive - s0;
      const ok = v[4095] === 7 && f[15] === 2.5;
      oh.free(v); oh.free(f);
      let code = null; try { oh.free(v); } catch (e) { code = e.code; }
      console.log(JSON.stringify({ path, grew, ok, back: oh.stats().bytesLive === s0, code }));`;
    const r = JSON.parse(run(process.execPath, ['-e', cjs], app).trim());
    expect(r.path).toBe(join(pkgDir, 'prebuilds', platformDir, readdirSync(join(pkgDir, 'prebuilds', platformDir))[0]!));
    expect(r.grew).toBe(4096 + 128);
    expect(r.ok).toBe(true);
    expect(r.back).toBe(true);
    expect(r.code).toBe('ERR_OFFHEAP_INVALID_FREE');

    writeFileSync(
      join(app, 'esm.mjs'),
      `import { alloc, free, stats, OffheapError } from 'offheap';
       import oh from 'offheap';
       const v = alloc(100); free(v);
       console.log(JSON.stringify({ same: oh.alloc === alloc, err: typeof OffheapError, allocCount: stats().allocCount }));`,
    );
    const e = JSON.parse(run(process.execPath, ['esm.mjs'], app).trim());
    expect(e).toEqual({ same: true, err: 'function', allocCount: 1 });
  }, 600_000);
});
