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

// offheap/arrow: its own entry pair. The ES module entry loads Arrow's ES
// module build and the CommonJS entry Arrow's CommonJS build (two separate
// module graphs: a table must be built by the copy its user holds), both
// over the one CommonJS implementation in dist/arrow/api.js (one state per
// thread). apache-arrow is an optional peer dependency: a missing one is a
// clear error when offheap/arrow is loaded, and the main entry never loads it.
const arrowNames = [
  'readIPC', 'release', 'handleOfTable', 'adoptTable', 'utf8Column', 'binaryColumn',
  'utf8Builder', 'binaryBuilder', 'validityBitmap', 'writeIPC',
];
writeFileSync(
  join(root, 'dist', 'arrow', 'index.mjs'),
  `// ES module entry of offheap/arrow (see scripts/build-dist.mjs).\n` +
    `import impl from './api.js';\n` +
    `let arrow;\n` +
    `try {\n  arrow = await import('apache-arrow');\n} catch (e) {\n  throw impl.arrowMissing(e);\n}\n` +
    `const api = impl.createArrowApi(arrow);\n` +
    `export const { ${arrowNames.join(', ')} } = api;\n` +
    `export default api;\n`,
);
writeFileSync(
  join(root, 'dist', 'arrow', 'index.d.mts'),
  `export * from './index.js';\nimport type { ArrowApi } from './api.js';\ndeclare const api: ArrowApi;\nexport default api;\n`,
);
console.log('dist/ built (CommonJS + ES module entries + types, offheap and offheap/arrow)');
