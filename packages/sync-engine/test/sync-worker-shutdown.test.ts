import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '@ach/observability';
import { createRedisConnection, createSyncQueue, SYNC_JOB_NAME, type RedisClient, type SyncJob } from '@ach/queue';
import { createTestDatabase, createTestRedis, settledJob, type TestDatabase, type TestRedis } from '@ach/testing';
import { createSyncEngine, createSyncRunRepository, createSyncWorker, type SyncWorker } from '../src/index.ts';
import { createInMemoryPlatform } from './support/in-memory-platform.ts';
import { createSyncLog, createUser, linkAccount } from './support/seed.ts';

const log = createLogger({ name: 'sync-worker-shutdown-test', level: 'silent' });
let t: TestDatabase;
let r: TestRedis;
let redis: RedisClient;
let queue: Queue<SyncJob>;
const platform = createInMemoryPlatform('steam');
/** Runners not closed by their test: closed at the end. */
const open = new Set<SyncWorker>();

beforeAll(async () => {
  t = await createTestDatabase();
  r = createTestRedis();
  redis = createRedisConnection(r.url, 'worker');
  queue = createSyncQueue('steam', { connection: redis, prefix: r.prefix });
  platform.addGame('s1', 2);
});

afterAll(async () => {
  for (const runner of open) await runner.close(0);
  await queue.close();
  redis.disconnect();
  await r.cleanup();
  await t.drop();
});

function startRunner(runnerLog: Logger = log): SyncWorker {
  const runs = createSyncRunRepository({ db: t.db, redis, queuePrefix: r.prefix, log: runnerLog });
  const engine = createSyncEngine({ db: t.db, adapter: platform.adapter, runs, log: runnerLog });
  const runner = createSyncWorker({ engine, runs, connection: redis, prefix: r.prefix, log: runnerLog, concurrency: 2 });
  open.add(runner);
  return { worker: runner.worker, close: (graceMs) => (open.delete(runner), runner.close(graceMs)) };
}

async function enqueueSync(): Promise<string> {
  const user = await createUser(t.db);
  await linkAccount(t.db, user, 'steam', `acct-${user.slice(0, 8)}`);
  platform.own(`acct-${user.slice(0, 8)}`, 's1', 1);
  const syncId = await createSyncLog(t.db, user, 'steam');
  await queue.add(SYNC_JOB_NAME, { syncId, userId: user, platform: 'steam', mode: 'incremental' }, { jobId: syncId });
  return syncId;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('sync worker shutdown', () => {
  it('a job still running after the grace period is handed back: close() returns, and another worker finishes the job', async () => {
    // The first attempt hangs in its title listing (a platform that does not answer) until the test
    // fails it, as the process's closing connections would; later attempts do not hang.
    let listings = 0;
    let failListing: (error: Error) => void = () => {};
    platform.setFault(async (what) => {
      if (what === 'list' && ++listings === 1) await new Promise((_, reject) => (failListing = reject));
    });
    const lines: string[] = [];
    const first = startRunner(createLogger({ name: 'first-worker', destination: { write: (line: string) => void lines.push(line) } }));
    const syncId = await enqueueSync();
    await until('the first attempt to be listing', async () => listings === 1);

    const closing = Date.now();
    await first.close(300);
    // Before the fix, close() waited for the hung job whatever the grace (and a process's shutdown timed out).
    expect(Date.now() - closing).toBeLessThan(3_000);
    expect(await queue.getJobState(syncId)).toBe('active');
    // The let-go attempt then fails: not the run's failure, so nothing is recorded on it.
    failListing(new Error('Connection is closed.'));
    await until('the stopped attempt to be logged', async () => lines.some((l) => l.includes('attempt stopped by the shutdown')));
    expect((await t.db.selectFrom('sync_logs').select(['status', 'error_code']).where('id', '=', syncId).executeTakeFirstOrThrow())).toEqual({ status: 'running', error_code: null });

    // Its lock lapses; another worker's stalled check hands the job back and that worker runs it.
    const second = startRunner();
    const job = await settledJob(queue, syncId, 30_000);
    await second.close(5_000);
    platform.setFault(undefined);
    expect(await job.getState()).toBe('completed');
    expect((await t.db.selectFrom('sync_logs').select('status').where('id', '=', syncId).executeTakeFirstOrThrow()).status).toBe('succeeded');
  }, 40_000);

  it('a job that ends within the grace period is finished before close() returns', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let listing = false;
    platform.setFault(async (what) => {
      if (what !== 'list') return;
      listing = true;
      await released;
    });
    const runner = startRunner();
    const syncId = await enqueueSync();
    await until('the job to be listing', async () => listing);

    const closed = runner.close(10_000);
    setTimeout(release, 300);
    await closed;
    platform.setFault(undefined);
    expect(await queue.getJobState(syncId)).toBe('completed');
  });
});
