// Builds dist/: lib/*.ts -> CommonJS + .d.ts (tsc), plus a thin ES module
// entry (dist/index.mjs) that re-exports the CommonJS build. One
// implementation serves both `import` and `require`, so a process never holds
// two copies of the per-thread state (a view allocated through one entry point
// can always be freed through the other).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });

const names = [
  'alloc', 'allocZeroed', 'allocArray', 'free', 'gc', 'stats', 'configure', 'getConfig',
  'handleOf', 'adopt', 'OffheapError', 'MAX_ALLOC', 'POOL_SIZE', 'MIN_BLOCK', 'arena', 'withArena',
  'mapFile',
];
writeFileSync(
  join(root, 'dist', 'index.mjs'),
  `// ES module entry: re-exports the CommonJS build (one instance per thread).\n` +
    `import offheap from './index.js';\n` +
    `export const { ${names.join(', ')} } = offheap;\n` +
    `export default offheap;\n`,
);
writeFileSync(
  join(root, 'dist', 'index.d.mts'),
  `export * from './index.js';\nimport * as offheap from './index.js';\nexport default offheap;\n`,
);
console.log('dist/ built (CommonJS + ES module entry + types)');
