// Loads the offheap package the way a user does: by its name (Node resolves a
// package's own name through its "exports" from inside the package), i.e. the
// built dist/ and the compiled addon, not the TypeScript sources.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function loadOffheap() {
  let mod;
  try {
    mod = await import('offheap');
  } catch (e) {
    const err = new Error(
      `cannot import the offheap package (is it built? npm install builds dist/ and the addon): ${e?.message || e}`,
    );
    err.cause = e;
    throw err;
  }
  const oh = mod.alloc ? mod : mod.default;
  for (const fn of ['alloc', 'free', 'configure']) {
    if (typeof oh?.[fn] !== 'function') throw new Error(`offheap package does not export ${fn}()`);
  }
  let version = 'unknown';
  try {
    version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  } catch {}
  return Object.assign(Object.create(null), oh, { __version: version });
}
