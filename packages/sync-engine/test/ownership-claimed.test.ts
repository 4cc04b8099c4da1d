import type { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@ach/observability';
import { createRedisConnection, createSyncQueue, SYNC_JOB_NAME, type SyncJob, type RedisClient } from '@ach/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, settledJob } from '@ach/testing';
import { createSyncEngine, createSyncRunRepository, createSyncWorker, type SyncWorker } from '../src/index.ts';
import { createInMemoryPlatform } from './support/in-memory-platform.ts';
import { createSyncLog, createUser, linkAccount } from './support/seed.ts';

const log = createLogger({ name: 'ownership-claimed-test', level: 'silent' });
let t: TestDatabase;
let r: TestRedis;
let redis: RedisClient;
let queue: Queue<SyncJob>;
let runner: SyncWorker;
const platform = createInMemoryPlatform('steam');

beforeAll(async () => {
  t = await createTestDatabase();
  r = createTestRedis();
  redis = createRedisConnection(r.url, 'worker');
  queue = createSyncQueue('steam', { connection: redis, prefix: r.prefix });
  const runs = createSyncRunRepository({ db: t.db, redis, queuePrefix: r.prefix, log });
  const engine = createSyncEngine({ db: t.db, adapter: platform.adapter, runs, log });
  runner = createSyncWorker({ engine, runs, connection: redis, prefix: r.prefix, log, concurrency: 2 });
  platform.addGame('g1', 3);
});

afterAll(async () => {
  await runner.close(5_000);
  await queue.close();
  redis.disconnect();
  await r.cleanup();
  await t.drop();
});

const settled = (jobId: string, timeoutMs = 30_000): Promise<Job<SyncJob>> => settledJob(queue, jobId, timeoutMs);

async function enqueue(userId: string) {
  const syncId = await createSyncLog(t.db, userId, 'steam');
  await queue.add(SYNC_JOB_NAME, { syncId, userId, platform: 'steam', mode: 'incremental' }, { jobId: syncId, attempts: 6 });
  return syncId;
}

describe('an account another user proved is theirs', () => {
  it('fails the run at once with ownership_claimed (no retries, nothing fetched) and flags the account; the owner syncs', async () => {
    const steamId = '76561198000000077';
    platform.own(steamId, 'g1', 2);
    const squatter = await createUser(t.db);
    await linkAccount(t.db, squatter, 'steam', steamId);
    const owner = await createUser(t.db);
    await linkAccount(t.db, owner, 'steam', steamId);
    await t.db.updateTable('platform_accounts').set({ verified: true }).where('user_id', '=', owner).execute();

    platform.resetCalls();
    const syncId = await enqueue(squatter);
    const job = await settled(syncId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^ownership_claimed: /);
    expect(platform.calls.list).toBe(0);
    const run = await t.db.selectFrom('sync_logs').selectAll().where('id', '=', syncId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'failed', error_code: 'ownership_claimed', attempts: 1 });
    expect(run.error_message).not.toContain(owner);
    const account = await t.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', squatter).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ sync_status: 'failed', last_error_code: 'ownership_claimed', needs_attention: true, verified: false });

    const ownerRun = await enqueue(owner);
    expect(await (await settled(ownerRun)).getState()).toBe('completed');
  });
});
