import { randomBytes, randomUUID } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { sql, type Kysely } from 'kysely';
import { createPlatformAccountRepository } from '@ach/accounts';
import type { Database } from '@ach/db';
import { createLogger } from '@ach/observability';
import { steam, steamWorkerEnv, type SteamWorkerEnv } from '@ach/platform-registry';
import { createRedisConnection, createSyncQueue, type SyncJob, type RedisClient } from '@ach/queue';
import { startSandbox, DEFAULT_STEAM_API_KEY, type StartedSandbox, type SteamAccountOptions } from '@ach/platform-sandbox';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, settledJob } from '@ach/testing';
import { runWorkerProcess, workerCoreEnv, type WorkerCoreEnv, type WorkerProcess } from '@ach/sync-engine';
import { requestSync } from '@ach/sync-runs';

export interface SteamSyncHarness {
  t: TestDatabase;
  db: Kysely<Database>;
  redis: TestRedis;
  sandbox: StartedSandbox;
  queue: Queue<SyncJob>;
  env: WorkerCoreEnv & SteamWorkerEnv;
  /** Starts an in-process worker: the real process wiring (`runWorkerProcess(steam)`) on the harness's environment. */
  startWorker(): Promise<WorkerProcess>;
  createUser(): Promise<string>;
  link(userId: string, steamId: string): Promise<void>;
  /** Creates the run and enqueues its job through the accept path POST /sync/steam uses (@ach/sync-runs). */
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
  const producer: RedisClient = createRedisConnection(redis.url, 'worker');
  const queue = createSyncQueue('steam', { connection: producer, prefix: redis.prefix });
  const rawEnv = {
    DATABASE_URL: t.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    STEAM_API_KEY: DEFAULT_STEAM_API_KEY,
    STEAM_API_BASE_URL: sandbox.url,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    STEAM_RATE_LIMIT_PER_SECOND: '2000',
    SHUTDOWN_GRACE_MS: '2000',
    ...options.env,
  };
  // What the worker process parses, parsed the same way here for the tests to read.
  const env = workerCoreEnv.extend(steam.env.shape).extend(steamWorkerEnv.shape).parse(rawEnv) as WorkerCoreEnv & SteamWorkerEnv;
  const workers: WorkerProcess[] = [];
  const log = createLogger({ name: 'worker-steam-test', level: 'silent' });
  const platformAccounts = createPlatformAccountRepository(t.db);

  return {
    t,
    db: t.db,
    redis,
    sandbox,
    queue,
    env,
    async startWorker() {
      const worker = await runWorkerProcess(steam, { env: rawEnv, log });
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
      // As PUT /accounts/steam stores a typed-in SteamID: unverified, no tokens.
      const linked = await platformAccounts.link({ userId, platformId: steam.id, externalAccountId: steamId, displayName: null, avatarUrl: null, verified: false });
      if (linked.kind !== 'linked') throw new Error(`could not link ${steamId}: ${linked.kind}`);
    },
    async requestSync(userId, mode = 'incremental') {
      const accepted = await requestSync({ db: t.db, queues: { steam: queue }, log, enqueueTimeoutMs: 5_000 }, { userId, platform: steam, mode });
      return accepted.syncId;
    },
    settled(jobId, timeoutMs = 60_000) {
      return settledJob(queue, jobId, timeoutMs);
    },
    async close() {
      for (const worker of workers) await worker.close();
      await queue.close();
      producer.disconnect();
      if (ownSandbox) await sandbox.close();
      await redis.cleanup();
      await t.drop();
    },
  };
}



