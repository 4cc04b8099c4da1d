import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@ach/observability';
import { createRedisConnection, SYNC_JOB_NAME, subscribeSyncEvents, type SyncEvent, type RedisClient } from '@ach/queue';
import { createSyncRunRepository } from '@ach/sync-runs';
import { createTestDatabase, createTestRedis, startOwnRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import { createPlatformQueues, type PlatformQueues } from '../src/queues/platform-queues.ts';
import { STUCK_RUN_FAILURE, sweepStuckSyncs } from '../src/syncs/stuck-sync-sweep.ts';
import { backdateSyncRun, insertSyncRun, linkAccount, signUp } from './support/quality-fixtures.ts';

const log = createLogger({ name: 'stuck-syncs-test', level: 'silent' });
const STUCK_AFTER_MS = 30 * 60_000;
const anHourAgo = () => new Date(Date.now() - 3_600_000);

let t: TestDatabase;
let r: TestRedis;
let redis: RedisClient;
let queues: PlatformQueues;

beforeAll(() => {
  r = createTestRedis();
  redis = createRedisConnection(r.url, 'worker');
});
afterAll(async () => {
  redis?.disconnect();
  await r?.cleanup();
});
beforeEach(async () => {
  t = await createTestDatabase();
  queues = createPlatformQueues({ db: t.db, connection: redis, prefix: r.prefix });
});
afterEach(async () => {
  await queues?.close();
  await r.cleanup();
  await t?.drop();
});

const steamQueue = async () => (await queues.list()).find((q) => q.platform === 'steam')!.queue;
const sweep = (over: Partial<Parameters<typeof sweepStuckSyncs>[0]> = {}) =>
  sweepStuckSyncs({ repository: createSyncRunRepository({ db: t.db, redis, queuePrefix: r.prefix, log }), queues, log, ...over }, { stuckAfterMs: STUCK_AFTER_MS });
const runRow = async (id: string) =>
  (await sql<{ status: string; error_code: string | null; error_message: string | null; finished: boolean; stats: Record<string, unknown> }>`
    select status, error_code, error_message, finished_at is not null as finished, stats from sync_logs where id = ${id}`.execute(t.db)).rows[0]!;

async function stuckRun(status: 'queued' | 'running' = 'running') {
  const userId = await signUp(t.db);
  await linkAccount(t.db, userId, 3);
  const syncId = await insertSyncRun(t.db, { userId, platformId: 3, status, mode: 'full', updatedAt: anHourAgo() });
  await sql`update platform_accounts set sync_status = ${status}, last_sync_id = ${syncId} where user_id = ${userId}`.execute(t.db);
  return { userId, syncId };
}

/** A job under the run's id that a worker failed for good: BullMQ keeps it (removeOnFail keeps a week). */
async function failJob(data: Record<string, unknown>, jobId: string) {
  const queue = await steamQueue();
  await queue.add(SYNC_JOB_NAME, data as never, { jobId, attempts: 1 });
  const worker = new Worker(queue.name, async () => {
    throw new UnrecoverableError('lost');
  }, { connection: createRedisConnection(r.url, 'worker'), prefix: r.prefix });
  await new Promise<void>((resolve) => worker.on('failed', () => resolve()));
  await worker.close();
  expect(await queue.getJobState(jobId)).toBe('failed');
}

describe('stuck-sync sweep', () => {
  it('re-enqueues a running sync that has no job', async () => {
    const { userId, syncId } = await stuckRun('running');
    const outcome = await sweep();
    expect(outcome.check).toEqual({
      checkName: 'stuck_syncs', status: 'warn', severity: 'warning', observedValue: 1,
      details: { stuck_after_ms: STUCK_AFTER_MS, max_requeues: 1, requeued: [syncId], failed: [], quiet_with_live_job: 0 },
    });
    const job = await (await steamQueue()).getJob(syncId);
    expect(job?.data).toEqual({ syncId, userId, platform: 'steam', mode: 'full' });
    expect(await job?.getState()).toBe('waiting');
    const row = await runRow(syncId);
    expect(row).toMatchObject({ status: 'queued', error_code: null, finished: false, stats: { requeued_by_monitor: 1, requeued_at: expect.any(String) } });
    // The row changed: it is not stuck any more, and the job is live — a second sweep does nothing.
    expect((await sweep()).check).toMatchObject({ status: 'pass', observedValue: 0 });
  });

  it('removes a failed job kept under the run\'s id before re-enqueueing (a re-add would be a no-op)', async () => {
    const { userId, syncId } = await stuckRun('running');
    const data = { syncId, userId, platform: 'steam', mode: 'full' };
    await failJob(data, syncId);
    // The pitfall the sweep avoids: adding under the same id leaves the failed job as it was.
    await (await steamQueue()).add(SYNC_JOB_NAME, data as never, { jobId: syncId });
    expect(await (await steamQueue()).getJobState(syncId)).toBe('failed');

    const outcome = await sweep();
    expect(outcome.requeued).toEqual([syncId]);
    const job = await (await steamQueue()).getJob(syncId);
    expect(await job?.getState()).toBe('waiting');
    expect(job?.attemptsMade).toBe(0);
    expect(job?.failedReason).toBeUndefined();
  });

  it('closes a run found stuck again after its re-enqueue as failed, tells live listeners, and mirrors the account', async () => {
    const { userId, syncId } = await stuckRun('queued');
    await sql`update sync_logs set stats = '{"requeued_by_monitor": 1}' where id = ${syncId}`.execute(t.db);
    await backdateSyncRun(t.db, syncId, anHourAgo());
    const subscriber = new Redis(r.url);
    const events: SyncEvent[] = [];
    const unsubscribe = await subscribeSyncEvents(subscriber, r.prefix, userId, (e) => events.push(e));
    try {
      const outcome = await sweep();
      expect(outcome.check).toMatchObject({ status: 'warn', observedValue: 1, details: { requeued: [], failed: [syncId] } });
      expect(await runRow(syncId)).toMatchObject({
        status: 'failed', error_code: STUCK_RUN_FAILURE.code, error_message: STUCK_RUN_FAILURE.message, finished: true,
        stats: { requeued_by_monitor: 1, closed_by_monitor: { reason: 'stuck_after_requeue', requeues: 1, quiet_since: expect.any(String) } },
      });
      const account = await sql<{ sync_status: string; last_error_code: string }>`select sync_status, last_error_code from platform_accounts where user_id = ${userId}`.execute(t.db);
      expect(account.rows).toEqual([{ sync_status: 'failed', last_error_code: 'internal_error' }]);
      await expect.poll(() => events.map((e) => [e.syncId, e.status, e.errorCode])).toEqual([[syncId, 'failed', 'internal_error']]);
      expect(await (await steamQueue()).getJob(syncId)).toBeUndefined();
    } finally {
      await unsubscribe();
      subscriber.disconnect();
    }
  });

  it('leaves alone a quiet run whose job is still live, and a run that is not quiet yet', async () => {
    const { userId, syncId } = await stuckRun('queued');
    await (await steamQueue()).add(SYNC_JOB_NAME, { syncId, userId, platform: 'steam', mode: 'full' }, { jobId: syncId });
    const other = await signUp(t.db);
    const fresh = await insertSyncRun(t.db, { userId: other, platformId: 3, status: 'running' });
    const outcome = await sweep();
    expect(outcome.check).toMatchObject({ status: 'pass', observedValue: 0, details: { requeued: [], failed: [], quiet_with_live_job: 1 } });
    expect((await runRow(syncId)).status).toBe('queued');
    expect((await runRow(fresh)).status).toBe('running');
  });

  it('touches nothing when Redis does not answer: no answer is not "no job"', async () => {
    const own = await startOwnRedis();
    const deadQueues = createPlatformQueues({ db: t.db, connection: createRedisConnection(own.url, 'worker'), prefix: r.prefix });
    try {
      await own.stop();
      const { syncId } = await stuckRun('running');
      const outcome = await sweepStuckSyncs(
        { repository: createSyncRunRepository({ db: t.db }), queues: deadQueues, log },
        { stuckAfterMs: STUCK_AFTER_MS, deadlineMs: 500 },
      );
      expect(outcome.check).toMatchObject({ status: 'warn', details: { requeued: [], failed: [], errors: { [syncId]: expect.stringContaining('did not answer') } } });
      expect(await runRow(syncId)).toMatchObject({ status: 'running', stats: {} });
    } finally {
      await Promise.race([deadQueues.close(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
      await own.stop();
    }
  });
});
