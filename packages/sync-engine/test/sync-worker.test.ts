import type { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@ach/observability';
import { PlatformError } from '@ach/platform-clients';
import { createRedisConnection, createSyncQueue, SYNC_JOB_NAME, type SyncJob, type RedisClient } from '@ach/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, settledJob } from '@ach/testing';
import { createRedisTokenBucket, createSyncEngine, createSyncRunRepository, createSyncWorker, type SyncWorker } from '../src/index.ts';
import { createInMemoryPlatform } from './support/in-memory-platform.ts';
import { createSyncLog, createUser, linkAccount } from './support/seed.ts';

const log = createLogger({ name: 'sync-worker-test', level: 'silent' });
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
  platform.addGame('w1', 3);
  platform.addGame('w2', 3);
});

afterAll(async () => {
  await runner.close(5_000);
  await queue.close();
  redis.disconnect();
  await r.cleanup();
  await t.drop();
});

const settled = (jobId: string, timeoutMs = 30_000): Promise<Job<SyncJob>> => settledJob(queue, jobId, timeoutMs);

async function newAccount(acct: string) {
  const user = await createUser(t.db);
  await linkAccount(t.db, user, 'steam', acct);
  platform.own(acct, 'w1', 2);
  platform.own(acct, 'w2', 1);
  return user;
}

async function enqueue(userId: string) {
  const syncId = await createSyncLog(t.db, userId, 'steam');
  await queue.add(SYNC_JOB_NAME, { syncId, userId, platform: 'steam', mode: 'incremental' }, { jobId: syncId });
  return syncId;
}

const syncLog = (id: string) => t.db.selectFrom('sync_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('sync worker runner', () => {
  it('fails a job with a bad payload with a readable reason and keeps working', async () => {
    await queue.add(SYNC_JOB_NAME, { syncId: 'not-a-uuid', platform: 'steam' } as unknown as SyncJob, { jobId: 'bad-payload' });
    const bad = await settled('bad-payload');
    expect(await bad.getState()).toBe('failed');
    expect(bad.failedReason).toMatch(/^invalid job payload: .*syncId/);
    expect(bad.attemptsMade).toBe(1);

    const user = await newAccount('acct-after-bad');
    const syncId = await enqueue(user);
    expect(await (await settled(syncId)).getState()).toBe('completed');
    expect((await syncLog(syncId)).status).toBe('succeeded');
  });

  it('a private profile fails at once with profile_private and flags the account', async () => {
    const user = await newAccount('acct-private');
    platform.setFault((what) => {
      if (what === 'list') throw new PlatformError({ kind: 'private', platform: 'steam', endpoint: 'steam.GetOwnedGames', message: 'profile is not public' });
    });
    const syncId = await enqueue(user);
    const job = await settled(syncId);
    platform.setFault(undefined);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(await syncLog(syncId)).toMatchObject({ status: 'failed', error_code: 'profile_private', attempts: 1 });
    const account = await t.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', user).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ sync_status: 'failed', last_error_code: 'profile_private', needs_attention: true });
  });

  it('a 429 delays the job (not a failed attempt) and it then succeeds', async () => {
    const user = await newAccount('acct-429');
    let limited = 0;
    platform.setFault((what, gameId) => {
      if (what === 'unlocks' && gameId === 'w2' && limited++ === 0) {
        throw new PlatformError({ kind: 'rate_limited', platform: 'steam', endpoint: 'steam.GetPlayerAchievements', message: '429', retryAfterMs: 1_000 });
      }
    });
    const started = Date.now();
    const syncId = await enqueue(user);
    const job = await settled(syncId);
    platform.setFault(undefined);
    expect(await job.getState()).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    // Completion counts one attempt; the delay did not.
    expect(job.attemptsMade).toBe(1);
    expect(await syncLog(syncId)).toMatchObject({ status: 'succeeded', attempts: 2, error_code: null });
  });

  it('transient failures are retried with backoff until the job succeeds', async () => {
    const user = await newAccount('acct-500');
    let failures = 0;
    platform.setFault((what) => {
      if (what === 'list' && failures < 3) {
        failures += 1;
        throw new PlatformError({ kind: 'transient', platform: 'steam', endpoint: 'steam.GetOwnedGames', message: '500', status: 500 });
      }
    });
    const syncId = await enqueue(user);
    const job = await settled(syncId, 45_000);
    platform.setFault(undefined);
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(4);
    expect(await syncLog(syncId)).toMatchObject({ status: 'succeeded', attempts: 4 });
    expect(((await syncLog(syncId)).stats as unknown as { retries: number }).retries).toBe(3);
  });

  it('a job for an account unlinked after the request fails with account_not_linked', async () => {
    const user = await createUser(t.db);
    const syncId = await enqueue(user);
    const job = await settled(syncId);
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^account_not_linked: /);
    expect(await syncLog(syncId)).toMatchObject({ status: 'failed', error_code: 'account_not_linked' });
  });
});

describe('redis token bucket', () => {
  it('lets a burst through, then paces calls at the rate, across limiter instances', async () => {
    const key = `${r.prefix}:rate-limit:test`;
    const a = createRedisTokenBucket({ redis, key, ratePerSecond: 20, burst: 5 });
    const b = createRedisTokenBucket({ redis, key, ratePerSecond: 20, burst: 5 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 15 }, (_, i) => (i % 2 ? a : b).take()));
    // 5 at once, the other 10 at 20/s ≈ 500 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('pause holds every taker until it ends', async () => {
    const key = `${r.prefix}:rate-limit:pause`;
    const bucket = createRedisTokenBucket({ redis, key, ratePerSecond: 100 });
    await bucket.pause(300);
    const started = Date.now();
    await bucket.take();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
