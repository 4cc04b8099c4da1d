import { randomBytes, randomUUID } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { PLATFORM_IDS, type Database } from '@ach/db';
import { createLogger } from '@ach/observability';
import { createRedisConnection, createSyncQueue, SYNC_JOB_NAME, type SyncJob } from '@ach/queue';
import { startSandbox, DEFAULT_STEAM_API_KEY, type StartedSandbox, type SteamAccountOptions } from '@ach/platform-sandbox';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import type { SyncWorker } from '@ach/sync-engine';
import { createSteamWorker } from '../../src/steam-worker.ts';
import { steamWorkerEnvSchema, type SteamWorkerEnv } from '../../src/worker-env.ts';

export interface SteamSyncHarness {
  t: TestDatabase;
  db: Kysely<Database>;
  redis: TestRedis;
  sandbox: StartedSandbox;
  queue: Queue<SyncJob>;
  env: SteamWorkerEnv;
  /** Starts an in-process worker (the real wiring from steam-worker.ts) on the harness's connections. */
  startWorker(): SyncWorker;
  createUser(): Promise<string>;
  link(userId: string, steamId: string): Promise<void>;
  /** Writes the queued sync_logs row and enqueues, as POST /sync/steam does. */
  requestSync(userId: string, mode?: 'incremental' | 'full'): Promise<string>;
  settled(jobId: string, timeoutMs?: number): Promise<Job<SyncJob>>;
  close(): Promise<void>;
}

export async function createSteamSyncHarness(
  accounts: { steamId: string; options: SteamAccountOptions }[],
  options: { sandbox?: StartedSandbox; env?: Record<string, string> } = {},
): Promise<SteamSyncHarness> {
  const t = await createTestDatabase();
  const redis = createTestRedis();
  const ownSandbox = !options.sandbox;
  const sandbox = options.sandbox ?? (await startSandbox({ port: 0, steam: { accounts } }));
  const producer: Redis = createRedisConnection(redis.url, 'worker');
  const queue = createSyncQueue('steam', { connection: producer, prefix: redis.prefix });
  const env = steamWorkerEnvSchema.parse({
    DATABASE_URL: t.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    STEAM_API_KEY: DEFAULT_STEAM_API_KEY,
    STEAM_API_BASE_URL: sandbox.url,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    STEAM_RATE_LIMIT_PER_SECOND: '2000',
    SHUTDOWN_GRACE_MS: '5000',
    ...options.env,
  });
  const workers: SyncWorker[] = [];
  const workerRedis = createRedisConnection(redis.url, 'worker');

  return {
    t,
    db: t.db,
    redis,
    sandbox,
    queue,
    env,
    startWorker() {
      const worker = createSteamWorker({ env, log: createLogger({ name: 'worker-steam-test', level: 'silent' }), db: t.db, redis: workerRedis });
      workers.push(worker);
      return worker;
    },
    async createUser() {
      const id = randomUUID();
      const name = `u_${id.slice(0, 8)}`;
      await sql`insert into auth.users (id, email) values (${id}, ${`${name}@example.test`})`.execute(t.db);
      await sql`insert into public.users (id, email, username) values (${id}, ${`${name}@example.test`}, ${name}) on conflict (id) do nothing`.execute(t.db);
      return id;
    },
    async link(userId, steamId) {
      await t.db.insertInto('platform_accounts').values({ user_id: userId, platform_id: PLATFORM_IDS.steam, external_account_id: steamId }).execute();
    },
    async requestSync(userId, mode = 'incremental') {
      const row = await t.db.insertInto('sync_logs').values({ user_id: userId, platform_id: PLATFORM_IDS.steam, mode }).returning('id').executeTakeFirstOrThrow();
      await t.db.updateTable('platform_accounts').set({ sync_status: 'queued', last_sync_id: row.id }).where('user_id', '=', userId).where('platform_id', '=', PLATFORM_IDS.steam).execute();
      await queue.add(SYNC_JOB_NAME, { syncId: row.id, userId, platform: 'steam', mode }, { jobId: row.id });
      return row.id;
    },
    async settled(jobId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await queue.getJob(jobId);
        const state = job ? await job.getState() : 'missing';
        if (job && (state === 'completed' || state === 'failed')) return job;
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      for (const worker of workers) await worker.close(2_000);
      await queue.close();
      producer.disconnect();
      workerRedis.disconnect();
      if (ownSandbox) await sandbox.close();
      await redis.cleanup();
      await t.drop();
    },
  };
}



