/**
 * The monitor's quality check at scale: the full check at 1M and 10M users and the incremental
 * check at 10M, each beside a bare anti-join of the same data (`auth.users` without `public.users`,
 * the least any ghost-user check must read) measured in the same run, interleaved with it.
 *
 * The check is the monitor's own `runQualityCheck` (advisory lock, every SQL check, the stuck-sync
 * sweep and queue health against Redis, the monitoring-log write), auto-backfill off so that every
 * repetition sees the same data. Data: bench/quality-check-data.ts (random ids, signups over two
 * years, 100 ghosts, 100 orphans, 10 parity breaches, progress for 1 % of the users).
 *
 * The full check reads the users once, ghosts listed or not; it is measured with the planted ghosts
 * and, at the largest size, once they are repaired (the steady state under MONITOR_AUTO_BACKFILL). The incremental check is measured in that steady state: the planted ghosts
 * repaired, a full run recorded, then signups arriving (BENCH_SIGNUPS_IN_WINDOW within the window)
 * and syncs finishing; its baseline is the same anti-join restricted to the same window by the
 * created_at index.
 *
 * BENCH_SCALE scales the user counts (0.01 → 10k and 100k users), for a quick run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb } from '@ach/db';
import { createPlatformQueues, createQualityRunLock, runQualityCheck, type QualityRunDeps } from '@ach/monitor';
import { createLogger } from '@ach/observability';
import { createRedisConnection } from '@ach/queue';
import { createBenchDatabase } from '../bench-database.ts';
import type { BenchContext, BenchResult, BenchScenario } from '../bench-result.ts';
import { generateQualityData, type QualityDataSummary } from '../quality-check-data.ts';
import { median } from '../stats.ts';

const FULL_ROUNDS = 3;
const INCREMENTAL_ROUNDS = 5;
const SIGNUPS_IN_WINDOW = 300;
const TARGET_FULL_MS: Record<string, number> = { '1M': 1_000, '10M': 5_000 };
const TARGET_INCREMENTAL_MS = 100;

const BARE_ANTI_JOIN = `select count(*) from auth.users a where a.deleted_at is null and not exists (select 1 from public.users u where u.id = a.id)`;
const BARE_WINDOW_ANTI_JOIN = `select count(*) from auth.users a where a.created_at >= $1 and a.deleted_at is null and not exists (select 1 from public.users u where u.id = a.id)`;

const label = (users: number) => (users >= 1_000_000 ? `${users / 1_000_000}M` : `${users / 1_000}k`);
const ms = (started: number) => performance.now() - started;
const list = (values: number[]) => values.map((v) => v.toFixed(0)).join('/');

interface Harness {
  client: pg.Client;
  run: (mode: 'full' | 'incremental') => Promise<{ ms: number; status: string; mode: string }>;
  timed: (statement: string, params?: unknown[]) => Promise<number>;
  close: () => Promise<void>;
}

async function openHarness(ctx: BenchContext, url: string): Promise<Harness> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const db = createDb(url, { max: 4 });
  const redis = createRedisConnection(ctx.redisUrl, 'worker');
  const prefix = `bench-quality-${randomBytes(3).toString('hex')}`;
  const queues = createPlatformQueues({ db, connection: redis, prefix });
  // As the monitor process runs it: one lock connection kept across runs.
  const runLock = createQualityRunLock(url);
  const deps: QualityRunDeps = {
    db, databaseUrl: url, runLock, log: createLogger({ name: 'bench-monitor', level: 'silent' }), queues,
    settings: { autoBackfill: false, stuckSyncAfterMs: 1_800_000, queueMaxWaitMs: 900_000 },
  };
  return {
    client,
    async run(mode) {
      const started = performance.now();
      const outcome = await runQualityCheck(deps, { mode, lockWaitMs: 60_000, retention: false });
      const took = ms(started);
      if (!outcome.ran) throw new Error('the quality run did not get its lock');
      return { ms: took, status: outcome.run.status, mode: outcome.run.mode };
    },
    async timed(statement, params = []) {
      const started = performance.now();
      await client.query(statement, params);
      return ms(started);
    },
    async close() {
      await runLock.close();
      await queues.close();
      redis.disconnect();
      await db.destroy();
      await client.end();
    },
  };
}

/** The full check and the bare anti-join, interleaved; medians. */
async function measureFull(h: Harness): Promise<{ full: number[]; bare: number[]; sqlOnly: number; stats: number; parity: number; status: string }> {
  const full: number[] = [];
  const bare: number[] = [];
  let status = '';
  // One unmeasured pass of each: the first read of a table after the load is not the steady state.
  await h.timed(BARE_ANTI_JOIN);
  await h.run('full');
  for (let round = 0; round < FULL_ROUNDS; round++) {
    bare.push(await h.timed(BARE_ANTI_JOIN));
    const run = await h.run('full');
    full.push(run.ms);
    status = run.status;
  }
  // Where the time goes: the SQL checks without the monitor around them, the one-pass user counts,
  // and the full progress-parity merge.
  const sqlOnly = await h.timed('select * from public.run_user_sync_quality_check()');
  const stats = await h.timed('select * from public.get_user_sync_stats()');
  const parity = await h.timed('select count(*) from public.check_progress_parity()');
  return { full, bare, sqlOnly, stats, parity, status };
}

function fullResults(size: string, data: QualityDataSummary, m: Awaited<ReturnType<typeof measureFull>>): BenchResult[] {
  const value = median(m.full);
  const target = TARGET_FULL_MS[size];
  return [
    {
      metric: `full quality check, ${size} users (runQualityCheck: every check + record)`,
      value,
      unit: 'ms',
      baseline: { label: 'bare anti-join auth.users ⟕ public.users, same data', value: median(m.bare) },
      ...(target ? { target: `≤ ${target} ms`, met: value <= target } : {}),
      notes: `median of ${FULL_ROUNDS} interleaved (check ${list(m.full)}; anti-join ${list(m.bare)}); overall ${m.status}; `
        + `SQL checks alone ${m.sqlOnly.toFixed(0)} ms, get_user_sync_stats ${m.stats.toFixed(0)} ms, check_progress_parity ${m.parity.toFixed(0)} ms `
        + `(${data.progressRows} progress rows, ${data.unlockRows} unlocks); data generated in ${data.seconds.toFixed(0)} s`,
    },
  ];
}

/**
 * The steady state: ghosts repaired (the monitor's auto-backfill), a full run recorded, then signups
 * and finished syncs arriving inside the next run's window.
 */
async function measureIncremental(h: Harness): Promise<{ incremental: number[]; bare: number[]; modes: string[]; since: Date; healthyFull: number[]; healthyBare: number[] }> {
  await h.client.query(`select count(*) from public.backfill_ghost_users(false, 'bench')`);
  // The full check once the ghosts are repaired (the daily run's usual case): nothing to list, one pass.
  const healthyFull: number[] = [];
  const healthyBare: number[] = [];
  for (let round = 0; round < 2; round++) {
    healthyBare.push(await h.timed(BARE_ANTI_JOIN));
    healthyFull.push((await h.run('full')).ms);
  }
  await h.client.query(`insert into auth.users (email) select 'late' || i || '@bench.test' from generate_series(1, $1::int) i`, [SIGNUPS_IN_WINDOW]);
  await h.client.query(`update sync_logs set finished_at = now(), updated_at = now() where id in (select id from sync_logs order by id limit 200)`);
  const incremental: number[] = [];
  const bare: number[] = [];
  const modes: string[] = [];
  let since = new Date();
  for (let round = 0; round < INCREMENTAL_ROUNDS; round++) {
    const { rows } = await h.client.query<{ since: Date }>('select public.quality_check_window_start() as since');
    since = rows[0]!.since;
    bare.push(await h.timed(BARE_WINDOW_ANTI_JOIN, [since]));
    const run = await h.run('incremental');
    incremental.push(run.ms);
    modes.push(run.mode);
  }
  return { incremental, bare, modes, since, healthyFull, healthyBare };
}

const scenario: BenchScenario = {
  name: 'monitor-quality-check',
  async run(ctx) {
    const results: BenchResult[] = [];
    const sizes = [1_000_000, 10_000_000].map((n) => Math.max(10_000, Math.round(n * ctx.scale)));
    for (const [i, users] of sizes.entries()) {
      const size = ctx.scale === 1 ? (i === 0 ? '1M' : '10M') : label(users);
      const database = await createBenchDatabase(ctx.postgresAdminUrl);
      const h = await openHarness(ctx, database.url);
      try {
        console.log(`  generating ${users} users…`);
        const data = await generateQualityData(h.client, { users, log: (line) => console.log(line) });
        results.push(...fullResults(size, data, await measureFull(h)));
        if (i === sizes.length - 1) {
          const m = await measureIncremental(h);
          const healthy = median(m.healthyFull);
          const target = TARGET_FULL_MS[size];
          results.push({
            metric: `full quality check, ${size} users, ghosts repaired (nothing to list: one pass over the users)`,
            value: healthy,
            unit: 'ms',
            baseline: { label: 'bare anti-join auth.users ⟕ public.users, same data', value: median(m.healthyBare) },
            ...(target ? { target: `≤ ${target} ms`, met: healthy <= target } : {}),
            notes: `median of 2 interleaved (check ${list(m.healthyFull)}; anti-join ${list(m.healthyBare)}); 100 orphans and 10 parity breaches still listed`,
          });
          const value = median(m.incremental);
          results.push({
            metric: `incremental quality check, ${size} users, ${SIGNUPS_IN_WINDOW} signups and 200 finished syncs in the window`,
            value,
            unit: 'ms',
            baseline: { label: 'bare anti-join over the window (created_at index)', value: median(m.bare) },
            target: `≤ ${TARGET_INCREMENTAL_MS} ms`,
            met: value <= TARGET_INCREMENTAL_MS,
            notes: `median of ${INCREMENTAL_ROUNDS} (check ${list(m.incremental)}; anti-join ${m.bare.map((v) => v.toFixed(1)).join('/')}); ran as ${[...new Set(m.modes)].join('/')}`,
          });
        }
      } finally {
        await h.close();
        await database.drop();
      }
    }
    return results;
  },
};

export default scenario;
