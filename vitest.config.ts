import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/src/**/*.test.ts', 'services/*/test/**/*.test.ts', 'db/**/*.test.ts', 'scripts/**/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    pool: 'forks',
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
