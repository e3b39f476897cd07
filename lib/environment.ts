/**
 * Checks the environment variables the allocator reads (`OFFHEAP_SWAP`,
 * `OFFHEAP_SWAP_DIR`) when the package loads, so a mistake there is an
 * error at the point of the mistake rather than a silently ignored setting
 * or a later "out of memory".
 */
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configError } from './errors';

export const swapPolicies = ['auto', 'always', 'never'] as const;

/**
 * Why `dir` cannot hold swap files, or null if it can: it must exist, be a
 * directory, and accept a new file (probed by creating and removing one, so
 * read-only file systems and permissions are both caught).
 */
export function swapDirProblem(dir: string): string | null {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    return `does not exist (${(e as NodeJS.ErrnoException).code ?? 'stat failed'})`;
  }
  if (!isDir) return 'is not a directory';
  const probe = join(dir, `.offheap-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    unlinkSync(probe);
  } catch (e) {
    return `is not writable (${(e as NodeJS.ErrnoException).code ?? 'open failed'})`;
  }
  return null;
}

/** Throws OffheapError ERR_OFFHEAP_CONFIG for a bad OFFHEAP_SWAP or OFFHEAP_SWAP_DIR. */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const policy = env.OFFHEAP_SWAP;
  if (policy !== undefined && policy !== '' && !(swapPolicies as readonly string[]).includes(policy)) {
    throw configError(`environment variable OFFHEAP_SWAP must be 'auto', 'always' or 'never', not ${JSON.stringify(policy)}`);
  }
  const dir = env.OFFHEAP_SWAP_DIR;
  if (dir !== undefined && dir !== '') {
    const problem = swapDirProblem(resolve(dir));
    if (problem !== null) {
      throw configError(`environment variable OFFHEAP_SWAP_DIR=${JSON.stringify(dir)} ${problem}; it must name a writable directory`);
    }
  }
}
