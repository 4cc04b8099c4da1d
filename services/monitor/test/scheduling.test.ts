import { sql, type Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Database } from '@ach/db';
import { createRedisConnection, type RedisClient } from '@ach/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import { startMonitor, type MonitorConfig, type RunningMonitor } from '../src/index.ts';
import { quietLog } from './support/monitor-harness.ts';
import { signUpGhost } from './support/quality-fixtures.ts';

/** Short intervals, several monitors against one database and one queue prefix, as replicas would run. */

let t: TestDatabase;
let r: TestRedis;
const running: { monitor: RunningMonitor; db: Kysely<Database>; redis: RedisClient }[] = [];

beforeAll(() => {
  r = createTestRedis();
});
afterAll(async () => r?.cleanup());
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  for (const { monitor, db, redis } of running.splice(0)) {
    await monitor.close();
    redis.disconnect();
    await db.destroy();
  }
  await r.cleanup();
  await t?.drop();
});

async function startReplica(schedule: Partial<MonitorConfig['schedule']> = {}, quality: Partial<MonitorConfig['quality']> = {}): Promise<RunningMonitor> {
  const db = createDb(t.url, { max: 5 });
  const redis = createRedisConnection(r.url, 'worker');
  const monitor = await startMonitor(
    {
      databaseUrl: t.url,
      queuePrefix: r.prefix,
      // The full check far away unless a test wants it.
      schedule: { cron: '0 0 1 1 *', tz: 'UTC', incrementalEveryMs: 300, ...schedule },
      quality: { autoBackfill: true, stuckSyncAfterMs: 30 * 60_000, queueMaxWaitMs: 15 * 60_000, ...quality },
      fullCheckLockWaitMs: 30_000,
      http: { host: '127.0.0.1', port: 0 },
      alerts: { repeatAfterMs: 3_600_000 },
    },
    { db, redis, log: quietLog },
  );
  running.push({ monitor, db, redis });
  return monitor;
}

interface LoggedRun { id: number; run_at: Date; ends_at: Date; check_type: string; checks: Record<string, { details: Record<string, unknown> }> }
const runs = async () =>
  (await sql<LoggedRun>`
    select id, run_at, run_at + make_interval(secs => duration_ms / 1000.0) as ends_at, check_type, checks
      from user_sync_monitoring_log order by run_at, id`.execute(t.db)).rows;

const counted = async (monitor: RunningMonitor, outcome: string) =>
  (await monitor.metrics.registry.getSingleMetric('monitor_runs_total')!.get()).values
    .filter((v) => v.labels.outcome === outcome)
    .reduce((sum, v) => sum + v.value, 0);

describe('schedules', () => {
  it('run the full check on its cron pattern', async () => {
    // Every second; the incremental schedule far away (its first run may still come, and counts as full).
    await startReplica({ cron: '* * * * * *', incrementalEveryMs: 3_600_000 });
    await expect.poll(async () => (await runs()).filter((x) => x.check_type === 'full').length, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(4);
  });

  it('run the incremental check every interval; replicas share one schedule', async () => {
    const a = await startReplica();
    await startReplica();
    const schedulers = await a.scheduler.queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.pattern ?? null, s.every ?? null]).sort()).toEqual([
      ['quality-check-full', '0 0 1 1 *', null],
      ['quality-check-incremental', null, 300],
    ]);
    await expect.poll(async () => (await runs()).filter((x) => x.check_type === 'incremental').length, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(5);
  });

  it('come back by themselves when Redis loses them (restarted without persistence, or flushed)', async () => {
    const monitor = await startReplica();
    await expect.poll(async () => (await runs()).length, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    // What a FLUSHALL does to this monitor, without touching the other tests' keys on the shared Redis.
    await r.cleanup();
    await expect.poll(async () => (await monitor.scheduler.queue.getJobSchedulers()).map((s) => s.key).sort(), { timeout: 10_000, interval: 100 })
      .toEqual(['quality-check-full', 'quality-check-incremental']);
    const restored = (await runs()).length;
    await expect.poll(async () => (await runs()).length, { timeout: 20_000, interval: 100 }).toBeGreaterThan(restored + 1);
  });

  it('two monitors never run a check at the same time: while one is held up the other skips', async () => {
    const a = await startReplica();
    const b = await startReplica();
    await expect.poll(async () => (await runs()).length, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(2);

    // Hold up whichever run comes next: the checks read user_sync_failures.
    const holder = await t.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      await sql`lock table public.user_sync_failures in access exclusive mode`.execute(conn);
      const skippedBefore = (await counted(a, 'skipped')) + (await counted(b, 'skipped'));
      // The other replica takes the next scheduled jobs and finds the lock taken.
      await expect.poll(async () => (await counted(a, 'skipped')) + (await counted(b, 'skipped')), { timeout: 20_000, interval: 100 })
        .toBeGreaterThan(skippedBefore);
      await sql`commit`.execute(conn);
      return skippedBefore;
    });
    expect(holder).toBeGreaterThanOrEqual(0);
    const afterRelease = (await runs()).length;
    await expect.poll(async () => (await runs()).length, { timeout: 20_000, interval: 100 }).toBeGreaterThan(afterRelease + 1);

    const all = await runs();
    for (let i = 1; i < all.length; i++) {
      expect(all[i]!.run_at.getTime(), `run ${all[i]!.id} started before run ${all[i - 1]!.id} ended`).toBeGreaterThanOrEqual(all[i - 1]!.ends_at.getTime());
    }
  });

  it('with auto-backfill on, a ghost user created while the monitor runs is repaired by the next incremental run', async () => {
    await startReplica();
    await expect.poll(async () => (await runs()).length, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    const ghost = await signUpGhost(t.db);
    const created = (await sql<{ created_at: Date }>`select created_at from auth.users where id = ${ghost}`.execute(t.db)).rows[0]!.created_at;
    await expect.poll(async () => (await sql`select 1 from users where id = ${ghost}`.execute(t.db)).rows.length, { timeout: 20_000, interval: 100 }).toBe(1);
    // The repair commits before the run's record does: wait for the record too.
    const repairedIn = (all: Awaited<ReturnType<typeof runs>>) => all.find((x) => (x.checks.ghost_users?.details.repaired_ids as string[] | undefined)?.includes(ghost));
    await expect.poll(async () => repairedIn(await runs()) !== undefined, { timeout: 20_000, interval: 100 }).toBe(true);

    const all = await runs();
    const repairedBy = repairedIn(all);
    const firstStartedAfter = all.find((x) => x.run_at > created);
    expect(repairedBy, 'a run repaired the ghost').toBeDefined();
    expect(repairedBy!.check_type).toBe('incremental');
    // Repaired no later than by the first run that started after the ghost appeared.
    if (firstStartedAfter) expect(repairedBy!.id).toBeLessThanOrEqual(firstStartedAfter.id);
    const audit = await sql<{ performed_by: string }>`select performed_by from cleanup_audit_log where action = 'backfill_ghost_users'`.execute(t.db);
    expect(audit.rows).toEqual([{ performed_by: 'monitor' }]);
  });
});
