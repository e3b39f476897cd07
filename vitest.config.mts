import { defineConfig } from 'vitest/config';

// Unit tests run twice, in the forks pool (child processes) and the threads
// pool (worker_threads: a separate N-API env and heap per test file), since
// users load offheap both ways. Packaging tests (source lists, npm pack +
// install) do not depend on the pool and run once.
const packaging = ['test/build-sources.test.ts', 'test/pack.test.ts', 'test/entry-points.test.ts', 'test/arrow-entry.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: { name: 'forks', pool: 'forks', include: ['test/**/*.test.ts'], exclude: packaging },
      },
      {
        extends: true,
        test: { name: 'threads', pool: 'threads', include: ['test/**/*.test.ts'], exclude: packaging },
      },
      {
        extends: true,
        test: { name: 'package', pool: 'forks', include: packaging },
      },
    ],
  },
});
