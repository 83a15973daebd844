import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PGlite takes 1.3–4 s to open (STACK.md §4), and real-Postgres suites clone a database per file.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more forks than that only adds contention.
    maxWorkers: 2,
    setupFiles: ['test/helpers/no-network.ts'],
  },
});
