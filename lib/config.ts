/**
 * Configuration: configure and getConfig.
 */
import { resolve } from 'node:path';
import { argType, argValue, configError, describe, outOfRange } from './errors';
import { swapDirProblem, swapPolicies } from './environment';
import { native, state as S } from './state';
import type { ConfigureOptions, OffheapConfig, SwapPolicy } from './types';

const CFG_SWAP_DIR = 1;
const CFG_SWAP_POLICY = 2;
const CFG_SLAB_BUDGET = 4;
const CFG_HUGE_CACHE_BYTES = 8;
const CFG_RETAIN_BYTES = 16;
const configKeys = new Set(['swapDir', 'swap', 'checked', 'slabBudget', 'hugeCacheBytes', 'retainBytes']);

function byteOption(name: string, v: unknown): number {
  if (typeof v !== 'number') throw argType(`configure ${name} must be of type number, received ${describe(v)}`);
  if (!Number.isSafeInteger(v) || v < 0) {
    throw outOfRange(`configure ${name} must be a non-negative integer, received ${v}`);
  }
  return v;
}

function swapDirOption(v: unknown): string {
  if (typeof v !== 'string') throw argType(`configure swapDir must be of type string, received ${describe(v)}`);
  if (v.length === 0 || v.includes('\0')) throw configError('configure swapDir must be a non-empty path');
  const dir = resolve(v); // later chdir()s do not move it
  const problem = swapDirProblem(dir);
  if (problem !== null) throw configError(`configure swapDir ${JSON.stringify(dir)} ${problem}; it must name a writable directory`);
  return dir;
}

/**
 * Configures the allocator. Everything except `checked` is process-wide
 * (all threads); `checked` applies to this thread's future allocations.
 * Omitted options are unchanged. Nothing is applied if any option is
 * rejected.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` for a non-object or a wrong type;
 *   `ERR_INVALID_ARG_VALUE` for an unknown option
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown `swap` policy;
 *   `ERR_OUT_OF_RANGE` for a negative / fractional byte count
 * @throws {@link OffheapError} `ERR_OFFHEAP_CONFIG` for a swap directory that
 *   does not exist, is not a directory or is not writable, or values the
 *   core rejects (budget out of range)
 */
export function configure(options: ConfigureOptions): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argType(`configure() needs an options object, received ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!configKeys.has(k)) throw argValue(`unknown configure option ${JSON.stringify(k)}`);
  }
  let set = 0;
  let swapDir: string | null = null;
  let policy = 0;
  let slab = 0;
  let huge = 0;
  let retain = 0;
  const o = options as Record<string, unknown>;
  const checked = o.checked;
  if (o.swap !== undefined) {
    if (typeof o.swap !== 'string') {
      throw argType(`configure swap must be 'auto', 'always' or 'never', received ${describe(o.swap)}`);
    }
    policy = (swapPolicies as readonly string[]).indexOf(o.swap);
    if (policy < 0) {
      throw argValue(`configure swap must be 'auto', 'always' or 'never', received ${describe(o.swap)}`, 'range');
    }
    set |= CFG_SWAP_POLICY;
  }
  if (checked !== undefined && typeof checked !== 'boolean') {
    throw argType(`configure checked must be of type boolean, received ${describe(checked)}`);
  }
  if (o.slabBudget !== undefined) {
    slab = byteOption('slabBudget', o.slabBudget);
    set |= CFG_SLAB_BUDGET;
  }
  if (o.hugeCacheBytes !== undefined) {
    huge = byteOption('hugeCacheBytes', o.hugeCacheBytes);
    set |= CFG_HUGE_CACHE_BYTES;
  }
  if (o.retainBytes !== undefined) {
    retain = byteOption('retainBytes', o.retainBytes);
    set |= CFG_RETAIN_BYTES;
  }
  if (o.swapDir !== undefined) {
    swapDir = swapDirOption(o.swapDir); // last: it touches the file system
    set |= CFG_SWAP_DIR;
  }
  if (set !== 0) {
    const r = native.configure(set, swapDir, policy, slab, huge, retain);
    if (r !== 0) {
      throw configError(
        `configuration rejected by the allocator (${JSON.stringify(options)}): ` +
          'swapDir must be an existing directory, budgets within range',
      );
    }
  }
  if (checked !== undefined) S.checkedMode = checked;
}

/** The current configuration (process-wide values, and this thread's `checked`). */
export function getConfig(): OffheapConfig {
  const c = native.getConfig();
  return {
    swapDir: c.swapDir,
    swap: (swapPolicies[c.swapPolicy] ?? 'auto') as SwapPolicy,
    checked: S.checkedMode,
    slabBudget: c.slabBudget,
    hugeCacheBytes: c.hugeCacheBytes,
    retainBytes: c.retainBytes,
  };
}
