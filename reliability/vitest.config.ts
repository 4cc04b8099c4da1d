import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The security sweep scans every other file's logs, so it runs after all of them. */
const RUNS_LAST = /security-sweep\.test\.ts$/;

/** Files in name order (00-smoke first), the security sweep last: a fixed order, the same on every run. */
class ScenarioOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => Number(RUNS_LAST.test(a.moduleId)) - Number(RUNS_LAST.test(b.moduleId)) || a.moduleId.localeCompare(b.moduleId));
  }
}

// The reliability suite: each file starts its own Postgres cluster, Redis and service processes on
// free ports, so files run one at a time (two at once would only fight for this machine's 2 cores).
export default defineConfig({
  test: {
    root: import.meta.dirname + '/..',
    include: ['reliability/scenarios/**/*.test.ts'],
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    globalSetup: ['reliability/support/fresh-output-dirs.ts'],
    sequence: { sequencer: ScenarioOrder },
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
