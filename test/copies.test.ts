// Two copies of the package in one thread (a duplicate install, a test
// runner's module reset) share one heap and one view registry: each frees,
// hands off and adopts the other's blocks (issue 10 #7).
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Offheap from '../lib/index';
import { DIST, ROOT, expectOffheapError, live, oh } from './helpers';

const require = createRequire(import.meta.url);
const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };

/** A second install of the built package: its own dist/ and its own copy of the addon file. */
function duplicateInstall(): string {
  const dir = mkdtempSync(join(tmpdir(), 'offheap-copy-'));
  cpSync(dirname(DIST), join(dir, 'dist'), { recursive: true });
  const addon = nodeGypBuild.path(join(dirname(DIST), '..'));
  mkdirSync(join(dir, 'build/Release'), { recursive: true });
  copyFileSync(addon, join(dir, 'build/Release/offheap.node'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'offheap', main: 'dist/index.js' }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function exercise(other: typeof Offheap): void {
  const before = live();
  // fast mode, both directions
  const a = oh.alloc(100);
  other.free(a);
  const b = other.allocArray(Float64Array, 100);
  oh.free(b);
  expectOffheapError(() => other.free(b), 'ERR_OFFHEAP_INVALID_FREE'); // one heap: a double free everywhere
  // hand-off across copies
  const c = other.alloc(5000).fill(3);
  const back = oh.adopt(other.handleOf(c));
  expect(back[4999]).toBe(3);
  other.free(back);
  // checked mode is per thread, whichever copy set it
  other.configure({ checked: true });
  try {
    expect(oh.getConfig().checked).toBe(true);
    const d = oh.alloc(64);
    other.free(d);
    expect(d.length).toBe(0);
  } finally {
    oh.configure({ checked: false });
  }
  expect(other.stats()).toEqual(oh.stats());
  expect(live()).toBe(before);
}

describe('two copies of the package in one thread', () => {
  it('a duplicate install frees, hands off and adopts the first copy’s blocks', () => {
    const dir = duplicateInstall();
    dirs.push(dir);
    const other = require(join(dir, 'dist/index.js')) as typeof Offheap;
    expect(other).not.toBe(oh);
    expect(other.free).not.toBe(oh.free);
    exercise(other);
  });

  it('a fresh module instance of the same files (module reset) does too', () => {
    const saved = { ...require.cache };
    for (const k of Object.keys(require.cache)) if (k.startsWith(dirname(DIST))) delete require.cache[k];
    const fresh = require(DIST) as typeof Offheap;
    Object.assign(require.cache, saved);
    expect(fresh).not.toBe(oh);
    exercise(fresh);
  });
});
