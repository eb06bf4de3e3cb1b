import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Broker tests bind sockets and write files: bound parallelism on 2 cores.
    maxWorkers: 2,
    // Prints one table of the machine coverage reached against the real runtime.
    globalSetup: ['test/model/runtime/coverage-summary.ts'],
  },
});
