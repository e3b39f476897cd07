// `npm pack` / `npm publish` run this (the `prepack` script): builds dist/
// and the prebuilds the tarball ships, then checks them.
//
// OFFHEAP_PREBUILD picks how (default: `bullseye` on Linux x64, `host` elsewhere):
//   bullseye  linux-x64 and linux-arm64 (glibc), both compiled inside a cached
//             Debian bullseye root (gcc 10, glibc 2.31 headers; arm64 with
//             Debian's g++-aarch64-linux-gnu), so they never bind to symbols
//             newer than the ones Node's own binaries need (glibc 2.28).
//             Needs root and debootstrap the first time (scripts/platform-root.sh).
//   host      this machine's platform only, with its own compiler (macOS, or a
//             Linux maintainer without root; on Linux the glibc check below
//             still applies, so a new-glibc host fails it on purpose).
// Every prebuild is tagged with its libc (prebuildify --tag-libc), so
// node-gyp-build never picks a glibc build on musl or the other way round;
// where none matches, install compiles from source (scripts/install.cjs).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrebuilds } from './prebuild-check.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['package.json', 'binding.gyp', 'native/include', 'native/src', 'native/binding'];
const mode = process.env.OFFHEAP_PREBUILD || (process.platform === 'linux' && process.arch === 'x64' ? 'bullseye' : 'host');
const t0 = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
const log = (m) => console.error(`prebuild: ${m}`);

function stage(dir) {
  for (const s of SOURCES) cpSync(join(root, s), join(dir, s), { recursive: true });
}

// 1. dist/ (TypeScript -> CJS + ESM + types)
execFileSync(process.execPath, [join(root, 'scripts', 'build-dist.mjs')], { stdio: ['ignore', 2, 2], cwd: root });

// 2. prebuilds/, built in a staging copy so this checkout's build/ is never touched
rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
if (mode === 'bullseye') {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error('prebuild: OFFHEAP_PREBUILD=bullseye needs a Linux x64 machine (use OFFHEAP_PREBUILD=host)');
  }
  if (process.getuid() !== 0) {
    log('the linux prebuilds are compiled in a Debian bullseye root (chroot + mount namespace), which needs root.');
    log('Run npm pack as root, or OFFHEAP_PREBUILD=host npm pack for this machine only (see docs/packaging.md).');
    process.exit(1);
  }
  let paths;
  try {
    paths = execFileSync('bash', [join(root, 'scripts', 'platform-root.sh'), 'build', 'node-x64'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 2] }).trim().split('\n');
  } catch {
    log('cannot make the bullseye build root (see above). Prebuilds for linux need it; OFFHEAP_PREBUILD=host builds for this machine only.');
    process.exit(1);
  }
  const [buildRoot, nodeDir] = paths;
  mkdirSync(join(buildRoot, 'tmp'), { recursive: true });
  const work = mkdtempSync(join(buildRoot, 'tmp', 'offheap-prebuild-'));
  const inRoot = '/' + relative(buildRoot, work);
  try {
    stage(join(work, 'pkg'));
    mkdirSync(join(work, 'pkg', 'node_modules'));
    mkdirSync(join(buildRoot, 'opt', 'node'), { recursive: true });
    const prebuildify = 'node node_modules/prebuildify/bin.js --napi --strip --tag-libc';
    const cross = 'CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar';
    const inside = [
      `cd ${inRoot}/pkg`,
      `echo "prebuild: linux-x64 (bullseye $(cat /etc/debian_version), $(gcc --version | head -1))" >&2`,
      `${prebuildify}`,
      `rm -rf build`,
      `echo "prebuild: linux-arm64 ($(aarch64-linux-gnu-g++ --version | head -1))" >&2`,
      `${cross} ${prebuildify} --arch arm64 --strip-bin aarch64-linux-gnu-strip`,
      `rm -rf build`,
    ].join(' && ');
    // A private mount namespace: the bind mounts and /proc vanish with it,
    // whatever happens to this process.
    const script = [
      'set -e',
      'mount --bind "$NM" "$ROOTFS$PKG/node_modules"',
      'mount -o remount,bind,ro "$ROOTFS$PKG/node_modules" 2>/dev/null || true',
      'mount --bind "$NODEDIR" "$ROOTFS/opt/node"',
      'mount -t proc proc "$ROOTFS/proc"',
      'exec chroot "$ROOTFS" /usr/bin/env -i PATH=/opt/node/bin:/usr/bin:/bin HOME=/tmp JOBS=2 npm_config_nodedir=/opt/node LANG=C.UTF-8 /bin/bash -c "$INSIDE"',
    ].join('\n');
    const t = Date.now();
    execFileSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], {
      stdio: ['ignore', 2, 2],
      env: { ...process.env, NM: join(root, 'node_modules'), ROOTFS: buildRoot, PKG: `${inRoot}/pkg`, NODEDIR: nodeDir, INSIDE: inside },
    });
    cpSync(join(work, 'pkg', 'prebuilds'), join(root, 'prebuilds'), { recursive: true });
    log(`linux-x64 + linux-arm64 built in the bullseye root in ${secs(t)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
} else if (mode === 'host') {
  const work = mkdtempSync(join(tmpdir(), 'offheap-prebuild-'));
  try {
    stage(work);
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    execFileSync(process.execPath, [join(root, 'node_modules', 'prebuildify', 'bin.js'), '--napi', '--strip', '--tag-libc'], {
      stdio: ['ignore', 2, 2],
      cwd: work,
      env: { ...process.env, JOBS: process.env.JOBS || '2' },
    });
    cpSync(join(work, 'prebuilds'), join(root, 'prebuilds'), { recursive: true });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
} else {
  throw new Error(`prebuild: unknown OFFHEAP_PREBUILD=${mode} (bullseye or host)`);
}

// 3. check what will ship
const { files, problems } = checkPrebuilds(join(root, 'prebuilds'));
for (const f of files) {
  log(`${f.file}  libc=${f.libc ?? 'untagged'}  needs ${Object.entries(f.needs).map(([k, v]) => `${k}_${v}`).join(' ') || '-'}`);
}
if (problems.length) {
  for (const p of problems) log(`FAIL ${p}`);
  process.exit(1);
}
log(`dist/ and ${files.length} prebuild(s) ready in ${secs(t0)} (${mode})`);
