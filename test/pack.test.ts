// The published package, as a user gets it: `npm pack` exactly as a user runs
// it (its prepack step builds dist/ and the prebuilds; this test builds
// nothing itself), then the tarball is inspected and installed into an empty
// project with no compiler on PATH, and used. The same tarball's other
// platforms (a Debian bullseye root, arm64 under qemu) are checked by
// `npm run test:platforms` (scripts/platform-check.mjs).
//
// Packing happens in a copy of the work tree (what a clone with these edits
// holds), so the checkout's dist/ and build/, which other test files load
// meanwhile, are never rebuilt under them. prepack builds the linux prebuilds
// in a cached debootstrap root: that needs root and debootstrap, and without
// them every test here is reported skipped (never passed).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: plain ES module without types
import { barePath, cleanEnv, missing, NPM_CLI, packLikeAUser } from '../scripts/platform-check.mjs';
// @ts-ignore: plain ES module without types
import { checkPrebuilds } from '../scripts/prebuild-check.mjs';

const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const cannot: string[] = missing(['debootstrap', 'unshare', 'readelf']);
if (cannot.length) console.warn(`pack.test.ts: SKIPPED, packing needs ${cannot.join(', ')}`);

const work = mkdtempSync(join(tmpdir(), 'offheap-pack-'));
let pack: { tarball: string; files: string[]; size: number; unpackedSize: number; seconds: number };
let extracted = '';
let manifest: Record<string, any> = {};
const SRC_PREBUILD = `prebuilds/linux-${process.arch}/offheap.glibc.node`;

/** Runs npm (the one running this test) with PATH limited to `sh` and `node`, unless fullPath. */
function npmInstall(app: string, extraEnv: Record<string, string>, fullPath = false) {
  const bin = fullPath ? null : barePath(join(app, '..', `bin-${Math.random().toString(36).slice(2)}`), process.execPath);
  const env: Record<string, string | undefined> = cleanEnv({ npm_config_audit: 'false', npm_config_fund: 'false', ...extraEnv });
  if (bin) env.PATH = bin;
  // a source build uses this Node's own headers when installed beside it (no download)
  const headers = join(process.execPath, '..', '..', 'include', 'node');
  if (!env.npm_config_nodedir && existsSync(join(headers, 'node_api.h'))) env.npm_config_nodedir = join(headers, '..', '..');
  return spawnSync(process.execPath, [NPM_CLI, 'install', '--no-package-lock', '--no-update-notifier', pack.tarball], { cwd: app, encoding: 'utf8', env, timeout: 600_000 });
}

function newApp(name: string): string {
  const app = join(work, name);
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  copyFileSync(join(ROOT, 'scripts', 'smoke.cjs'), join(app, 'smoke.cjs'));
  return app;
}

beforeAll(() => {
  if (cannot.length) return;
  pack = packLikeAUser(work);
  console.log(`pack.test.ts: npm pack took ${pack.seconds.toFixed(1)} s: ${pack.files.length} files, ${pack.size} B packed, ${pack.unpackedSize} B unpacked`);
  extracted = join(work, 'extracted');
  mkdirSync(extracted);
  execFileSync('tar', ['-xzf', pack.tarball, '-C', extracted]);
  manifest = JSON.parse(readFileSync(join(extracted, 'package', 'package.json'), 'utf8'));
}, 900_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(cannot.length > 0)('npm pack (as a user runs it)', () => {
  it('ships dist (ESM + CJS + types), both linux prebuilds, binding.gyp, native sources, the install script, README and LICENSE, and nothing else', () => {
    const files = pack.files;
    for (const f of [
      'package.json', 'README.md', 'LICENSE', 'binding.gyp', 'scripts/install.cjs',
      'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts',
      'dist/arrow/index.js', 'dist/arrow/index.mjs', 'dist/arrow/index.d.ts', 'dist/arrow/index.d.mts',
      'native/include/offheap.h', 'native/binding/addon.cc',
      'prebuilds/linux-x64/offheap.glibc.node', 'prebuilds/linux-arm64/offheap.glibc.node',
    ]) {
      expect(files, f).toContain(f);
    }
    const coreSources = readdirSync(join(ROOT, 'native/src')).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
    for (const s of coreSources) expect(files, s).toContain(`native/src/${s}`);
    const stray = files.filter((f) => !/^(dist|prebuilds|native\/(include|src|binding))\//.test(f) && !['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'scripts/install.cjs'].includes(f));
    expect(stray).toEqual([]);
    expect(files.filter((f) => f.startsWith('prebuilds/') && !/\.(glibc|musl)\.node$/.test(f)), 'every prebuild carries a libc tag').toEqual([]);
  });

  it('the prebuilds need no glibc symbol newer than Node itself does (GLIBC_2.28)', () => {
    const { files, problems } = checkPrebuilds(join(extracted, 'package', 'prebuilds'));
    expect(problems).toEqual([]);
    expect(files.map((f: { file: string }) => f.file).sort()).toEqual(['linux-arm64/offheap.glibc.node', 'linux-x64/offheap.glibc.node']);
  });

  it('package.json: the scripts npm runs on a user machine use only shipped files; license, os, cpu, homepage', () => {
    const shipped = new Set(pack.files);
    const deps = Object.keys(manifest.dependencies ?? {});
    const userSide = ['preinstall', 'install', 'postinstall', 'prepare', 'preprepare', 'postprepare'];
    expect(manifest.scripts.prepare, 'prepare would run for git installs and referenced unshipped scripts').toBeUndefined();
    expect(manifest.scripts.install).toBe('node scripts/install.cjs');
    for (const s of userSide.filter((k) => manifest.scripts[k])) {
      for (const tok of manifest.scripts[s].split(/[\s;&|]+/).filter(Boolean)) {
        if (/[/.]/.test(tok)) expect(shipped.has(tok.replace(/^\.\//, '')), `${s}: ${tok} is shipped`).toBe(true);
        else expect(['node', ...deps].includes(tok), `${s}: ${tok} is node or a dependency`).toBe(true);
      }
    }
    // the install script's own require()s are dependencies
    expect(readFileSync(join(extracted, 'package', 'scripts', 'install.cjs'), 'utf8')).toContain("require('node-gyp-build/bin.js')");
    expect(deps).toContain('node-gyp-build');
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(extracted, 'package', 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(manifest.os).toEqual(['linux', 'darwin']);
    expect(manifest.cpu).toEqual(['x64', 'arm64']);
    expect(typeof manifest.homepage).toBe('string');
    expect(manifest.engines?.node).toBeTruthy();
  });

  it('installs into an empty project with no compiler on PATH, loads the prebuild and works (alloc, free, worker hand-off, stats; CJS and ESM); offheap/arrow without apache-arrow says what to install', () => {
    const app = newApp('app');
    const bare = barePath(join(work, 'bare-check'), process.execPath);
    for (const c of ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python3']) {
      expect(spawnSync('sh', ['-c', `command -v ${c}`], { env: { PATH: bare } }).status, `${c} must not be on PATH`).not.toBe(0);
    }
    const r = npmInstall(app, {});
    expect(r.status, r.stderr).toBe(0);
    const pkgDir = join(app, 'node_modules', 'offheap');
    expect(existsSync(join(pkgDir, 'build')), 'install must not compile when a prebuild matches').toBe(false);

    const s = spawnSync(process.execPath, ['smoke.cjs'], { cwd: app, encoding: 'utf8' });
    expect(s.status, s.stdout + s.stderr).toBe(0);
    const smoke = JSON.parse(s.stdout.trim().split('\n').pop()!);
    expect(smoke.ok).toBe(true);
    expect(smoke.loaded).toBe(SRC_PREBUILD);

    writeFileSync(
      join(app, 'esm.mjs'),
      `import { alloc, free, stats, OffheapError } from 'offheap';
       import oh from 'offheap';
       const v = alloc(100); free(v);
       console.log(JSON.stringify({ same: oh.alloc === alloc, err: typeof OffheapError, allocCount: stats().allocCount }));`,
    );
    const e = JSON.parse(execFileSync(process.execPath, ['esm.mjs'], { cwd: app, encoding: 'utf8' }).trim());
    expect(e).toEqual({ same: true, err: 'function', allocCount: 1 });

    // apache-arrow is an optional peer: npm did not install it, so offheap/arrow
    // (ESM and CJS) fails saying what to install while offheap itself works.
    expect(existsSync(join(app, 'node_modules', 'apache-arrow')), 'npm must not install the optional peer').toBe(false);
    writeFileSync(
      join(app, 'arrow.mjs'),
      `import { createRequire } from 'node:module';
       import { alloc, free } from 'offheap';
       const out = {};
       try { await import('offheap/arrow'); out.esm = 'loaded'; } catch (e) { out.esm = [e.code, e.message]; }
       try { createRequire(import.meta.url)('offheap/arrow'); out.cjs = 'loaded'; } catch (e) { out.cjs = [e.code, e.message]; }
       const v = alloc(16); v[15] = 9; out.main = v[15]; free(v);
       console.log(JSON.stringify(out));`,
    );
    const a = JSON.parse(execFileSync(process.execPath, ['arrow.mjs'], { cwd: app, encoding: 'utf8' }).trim());
    expect(a.main).toBe(9);
    expect(a.esm[0]).toBe('ERR_MODULE_NOT_FOUND');
    expect(a.cjs[0]).toBe('MODULE_NOT_FOUND');
    for (const [, message] of [a.esm, a.cjs]) expect(message).toContain('npm install apache-arrow@21');
  }, 600_000);

  it('musl: the glibc prebuild is never picked; without a compiler, install fails saying what it needs', () => {
    const app = newApp('musl-nocc');
    const r = npmInstall(app, { LIBC: 'musl' });
    expect(r.status, 'install must fail: no musl prebuild and no compiler').not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`no prebuilt binary for linux-${process.arch} (musl)`);
    expect(out).toContain('Compiling needs Python 3, make and a C11 / C++17 compiler');
    expect(out).toContain('apk add python3 make g++');
  }, 600_000);

  it('musl: with a compiler, install builds from source and the build works', () => {
    const app = newApp('musl-cc');
    const r = npmInstall(app, { LIBC: 'musl', JOBS: '2' }, true);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(existsSync(join(app, 'node_modules', 'offheap', 'build', 'Release', 'offheap.node'))).toBe(true);
    const s = spawnSync(process.execPath, ['smoke.cjs'], { cwd: app, encoding: 'utf8', env: { ...process.env, LIBC: 'musl' } });
    expect(s.status, s.stdout + s.stderr).toBe(0);
    expect(JSON.parse(s.stdout.trim().split('\n').pop()!).loaded).toBe('build/Release/offheap.node');
  }, 900_000);

  it('glibc: a musl-tagged prebuild is never picked on glibc (node-gyp-build matches the libc tag)', () => {
    const dir = join(work, 'fake-musl');
    mkdirSync(join(dir, 'prebuilds', `linux-${process.arch}`), { recursive: true });
    copyFileSync(join(extracted, 'package', SRC_PREBUILD), join(dir, 'prebuilds', `linux-${process.arch}`, 'offheap.musl.node'));
    const ngb = createRequire(join(ROOT, 'package.json'))('node-gyp-build');
    expect(() => ngb.path(dir)).toThrow(/No native build was found/);
    copyFileSync(join(extracted, 'package', SRC_PREBUILD), join(dir, 'prebuilds', `linux-${process.arch}`, 'offheap.glibc.node'));
    expect(ngb.path(dir)).toBe(join(dir, SRC_PREBUILD));
  });
});
