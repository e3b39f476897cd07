// npm's `install` script (shipped in the package). node-gyp-build keeps the
// shipped prebuild when one matches this platform, arch and libc and loads;
// otherwise it compiles the addon from binding.gyp with node-gyp. When that
// compile fails, say plainly what it needs instead of leaving only
// node-gyp's log.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

// node-gyp-build's own install logic, run in this process (not spawned: under
// qemu-user a child `process.execPath` would not run). It exits non-zero only
// when compiling failed.
process.on('exit', (code) => {
  if (code) hint();
});
process.chdir(root);
require('node-gyp-build/bin.js');

function hint() {
  const libc = process.platform !== 'linux' ? '' : process.env.LIBC || (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
  let shipped = [];
  try {
    for (const dir of fs.readdirSync(path.join(root, 'prebuilds'))) {
      for (const f of fs.readdirSync(path.join(root, 'prebuilds', dir))) {
        const tag = f.split('.').find((t) => t === 'glibc' || t === 'musl');
        shipped.push(`${dir}${tag ? ` (${tag})` : ''}`);
      }
    }
  } catch {
    shipped = [];
  }
  console.error(`
offheap: no prebuilt binary for ${process.platform}-${process.arch}${libc ? ` (${libc})` : ''} could be used, and compiling it from source failed (node-gyp's output is above).
  Prebuilds in this package: ${shipped.length ? shipped.join(', ') : 'none'}.
  Compiling needs Python 3, make and a C11 / C++17 compiler:
    Debian/Ubuntu:  apt-get install python3 make g++
    Alpine (musl):  apk add python3 make g++
    Fedora/RHEL:    dnf install python3 make gcc-c++
    macOS:          xcode-select --install
  then run \`npm rebuild offheap\`. Supported: Linux and macOS on x64 and arm64, Node.js with N-API 8.
`);
}
