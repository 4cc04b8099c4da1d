import { defineConfig } from 'vitest/config';

// The reliability suite: each file starts its own Postgres cluster, Redis and service processes on
// free ports, so files run one at a time (two at once would only fight for this machine's 2 cores).
export default defineConfig({
  test: {
    root: import.meta.dirname + '/..',
    include: ['reliability/scenarios/**/*.test.ts'],
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
