import { createDb } from '@ach/db';
import { steam } from '@ach/platform-registry';
import { createSyncRunRepository } from '@ach/sync-runs';
import { backendPid, createBenchDatabase, seedLinkedUsers, truncateSyncRuns, vacuumAnalyze } from '../bench-database.ts';
import type { BenchResult, BenchScenario } from '../bench-result.ts';
import { cpuMsOf } from '../process-cpu.ts';

/**
 * Why POST /sync/:platform batches its INSERTs: the API's own statement (linked-account join,
 * partial unique index arbiter, 4 indexes, 2 FKs) run for the same 6,000 requests in batches of
 * 1, 5, 20 and 50, on one connection, measuring that backend's CPU from /proc. The cost splits into
 * a per-statement part (parse, plan, executor start-up, commit) and a per-row part; the fit of
 * the two is printed beside the per-row figures.
 */
const REQUESTS = 6_000;
const BATCH_SIZES = [1, 5, 20, 50];

const scenario: BenchScenario = {
  name: 'sync-request-insert',
  async run(ctx): Promise<BenchResult[]> {
    const database = await createBenchDatabase(ctx.postgresAdminUrl);
    // One connection, so every statement runs on the backend whose CPU is read.
    const db = createDb(database.url, { max: 1 });
    try {
      const requests = Math.max(500, Math.round(REQUESTS * ctx.scale));
      const userIds = await seedLinkedUsers(db, { count: requests, platformId: steam.id, shuffled: true });
      const pid = await backendPid(db);
      // The accept path's own batch INSERT (what the batcher runs), on this one connection.
      const runs = createSyncRunRepository({ db });

      const perRow = new Map<number, { cpuUs: number; wallUs: number }>();
      for (const size of BATCH_SIZES) {
        await truncateSyncRuns(db);
        await vacuumAnalyze(db, ['sync_logs', 'platform_accounts', 'users']);
        const cpuBefore = cpuMsOf(pid);
        const startedAt = performance.now();
        for (let i = 0; i < userIds.length; i += size) {
          const inputs = userIds.slice(i, i + size).map((userId) => ({ userId, platformId: steam.id, mode: 'incremental' as const }));
          const inserted = await runs.createQueuedBatch(inputs);
          if (inserted.length !== inputs.length) throw new Error(`expected ${inputs.length} runs, got ${inserted.length}`);
        }
        perRow.set(size, { cpuUs: ((cpuMsOf(pid) - cpuBefore) * 1000) / userIds.length, wallUs: ((performance.now() - startedAt) * 1000) / userIds.length });
      }

      // cpu per row at batch size b ≈ statement / b + row: least squares over the sizes measured.
      const xs = BATCH_SIZES.map((b) => 1 / b);
      const ys = BATCH_SIZES.map((b) => perRow.get(b)!.cpuUs);
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const [mx, my] = [mean(xs), mean(ys)];
      const statementUs = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
      const rowUs = my - statementUs * mx;

      const single = perRow.get(1)!;
      return [
        ...BATCH_SIZES.filter((b) => b > 1).map((size) => ({
          metric: `Postgres CPU per accepted request, batches of ${size}`,
          value: perRow.get(size)!.cpuUs,
          unit: 'µs',
          baseline: { label: 'one statement per request', value: single.cpuUs },
          notes: `wall ${perRow.get(size)!.wallUs.toFixed(0)} µs/request vs ${single.wallUs.toFixed(0)} µs one at a time; ${userIds.length} requests`,
        })),
        {
          metric: 'fit: Postgres CPU per statement (before its first row)',
          value: statementUs,
          unit: 'µs',
          notes: `and ${rowUs.toFixed(0)} µs per row; cpu/row ≈ statement / batch + row over batches of ${BATCH_SIZES.join('/')}`,
        },
      ];
    } finally {
      await db.destroy();
      await database.drop();
    }
  },
};

export default scenario;
