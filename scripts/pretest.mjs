// Runs before `npm test` (npm's pretest hook): makes sure the addon in
// build/Release and dist/ are not older than their sources, so tests never
// run against stale binaries after a `git pull` or an edit.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function newest(paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const st = statSync(p);
    if (st.isDirectory()) {
      t = Math.max(t, newest(readdirSync(p).map((f) => join(p, f))));
    } else {
      t = Math.max(t, st.mtimeMs);
    }
  }
  return t;
}

function mtime(p) {
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

const addon = join(root, 'build', 'Release', 'offheap.node');
const nativeSrc = ['native/src', 'native/include', 'native/binding', 'binding.gyp'].map((p) => join(root, p));
if (mtime(addon) < newest(nativeSrc)) {
  console.log('pretest: addon missing or older than native sources: node-gyp rebuild');
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const args = [gyp, 'rebuild', '-j', 'max'];
  // Outside npm (no npm_config_nodedir), use the headers installed next to
  // this node binary when there are any, instead of downloading them.
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  execFileSync(process.execPath, args, { stdio: 'inherit', cwd: root });
}
const dist = join(root, 'dist', 'index.js');
if (mtime(dist) < newest([join(root, 'lib'), join(root, 'scripts', 'build-dist.mjs'), join(root, 'tsconfig.json')])) {
  console.log('pretest: dist/ missing or older than lib/: building');
  execFileSync(process.execPath, [join(root, 'scripts', 'build-dist.mjs')], { stdio: 'inherit', cwd: root });
}
