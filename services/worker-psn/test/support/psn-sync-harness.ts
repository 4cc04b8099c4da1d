import { randomBytes, randomUUID } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { sql, type Kysely } from 'kysely';
import { createPlatformAccountRepository } from '@ach/accounts';
import { createCredentialCipher, credentialsAssociatedData, type CredentialCipher } from '@ach/crypto';
import type { Database, SyncLogsTable } from '@ach/db';
import { createLogger } from '@ach/observability';
import { psn, psnEnv, psnWorkerEnv, type PsnWorkerEnv } from '@ach/platform-registry';
import { createRedisConnection, createSyncQueue, type SyncJob, type RedisClient } from '@ach/queue';
import { startSandbox, type PsnLibraryOptions, type StartedSandbox } from '@ach/platform-sandbox';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, settledJob } from '@ach/testing';
import { runWorkerProcess, workerCoreEnv, type SyncStats, type WorkerCoreEnv, type WorkerProcess } from '@ach/sync-engine';
import { requestSync } from '@ach/sync-runs';
import type { Selectable } from 'kysely';

export interface PsnTestAccount {
  accountId: string;
  npsso: string;
}

export interface PsnSyncHarness {
  t: TestDatabase;
  db: Kysely<Database>;
  redis: TestRedis;
  sandbox: StartedSandbox;
  queue: Queue<SyncJob>;
  cipher: CredentialCipher;
  /** The raw variables a worker process gets (also for spawning `src/main.ts`). */
  rawEnv: Record<string, string>;
  env: WorkerCoreEnv & PsnWorkerEnv;
  /** The real process wiring (`runWorkerProcess(psn)`) in this process; `env` overrides the harness's. */
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** A sandbox PSN account with its own library (numeric id beyond 2^53, like real ones). */
  addAccount(library: PsnLibraryOptions): PsnTestAccount;
  createUser(): Promise<string>;
  /** As `PUT /accounts/psn` does it: NPSSO → tokens (sealed) + both expiry instants, a verified link. */
  link(userId: string, account: PsnTestAccount): Promise<void>;
  /** Creates the run and enqueues its job through the accept path POST /sync/psn uses (@ach/sync-runs). */
  requestSync(userId: string, mode?: 'incremental' | 'full'): Promise<string>;
  settled(jobId: string, timeoutMs?: number): Promise<Job<SyncJob>>;
  run(syncId: string): Promise<Selectable<SyncLogsTable> & { stats: SyncStats }>;
  /** Request, wait, return the run row. */
  sync(userId: string, mode?: 'incremental' | 'full', timeoutMs?: number): Promise<Selectable<SyncLogsTable> & { stats: SyncStats }>;
  close(): Promise<void>;
}

let accountSeq = 0;

export async function createPsnSyncHarness(options: { env?: Record<string, string>; sandbox?: Parameters<typeof startSandbox>[0] } = {}): Promise<PsnSyncHarness> {
  const t = await createTestDatabase();
  const redis = createTestRedis();
  // Only the accounts each test adds: the default ones would only cost listing time.
  const sandbox = await startSandbox({ port: 0, ...options.sandbox, psn: { seedDefaults: false, ...options.sandbox?.psn } });
  const producer: RedisClient = createRedisConnection(redis.url, 'worker');
  const queue = createSyncQueue('psn', { connection: producer, prefix: redis.prefix });
  const key = randomBytes(32).toString('base64');
  const rawEnv: Record<string, string> = {
    DATABASE_URL: t.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    PSN_AUTH_BASE_URL: sandbox.url,
    PSN_API_BASE_URL: sandbox.url,
    CREDENTIALS_ENCRYPTION_KEY: key,
    LOG_LEVEL: 'silent',
    PSN_RATE_LIMIT_MAX: '100000',
    PSN_RATE_LIMIT_WINDOW_MS: '1000',
    SHUTDOWN_GRACE_MS: '2000',
    ...options.env,
  };
  const env = workerCoreEnv.extend(psnEnv.shape).extend(psnWorkerEnv.shape).parse(rawEnv) as WorkerCoreEnv & PsnWorkerEnv;
  const cipher = createCredentialCipher({ key });
  const workers: WorkerProcess[] = [];
  const log = createLogger({ name: 'worker-psn-test', level: 'silent' });
  const platformAccounts = createPlatformAccountRepository(t.db);

  const harness: PsnSyncHarness = {
    t,
    db: t.db,
    redis,
    sandbox,
    queue,
    cipher,
    rawEnv,
    env,
    async startWorker(extra = {}) {
      const worker = await runWorkerProcess(psn, { env: { ...rawEnv, ...extra }, log });
      workers.push(worker);
      return worker;
    },
    addAccount(library) {
      accountSeq += 1;
      const accountId = `77${String(process.pid).padStart(7, '0')}${String(accountSeq).padStart(10, '0')}`;
      const npsso = `test-npsso-${accountId}`;
      sandbox.state.psn.addAccount({ npsso, accountId, onlineId: `psn_${accountSeq}`, library });
      return { accountId, npsso };
    },
    async createUser() {
      const id = randomUUID();
      const name = `u_${id.slice(0, 8)}`;
      await sql`insert into auth.users (id, email) values (${id}, ${`${name}@example.test`})`.execute(t.db);
      await sql`insert into public.users (id, email, username) values (${id}, ${`${name}@example.test`}, ${name}) on conflict (id) do nothing`.execute(t.db);
      return id;
    },
    async link(userId, account) {
      const linked = await psn.linking!.link({ npsso: account.npsso }, { env: psnEnv.parse(rawEnv) });
      const result = await platformAccounts.link({
        userId,
        platformId: psn.id,
        externalAccountId: linked.externalAccountId,
        displayName: linked.displayName,
        avatarUrl: linked.avatarUrl,
        credentials: cipher.sealJson(linked.credentials, credentialsAssociatedData(userId, 'psn')),
        tokenExpiresAt: linked.tokenExpiresAt,
        refreshExpiresAt: linked.refreshExpiresAt,
        verified: true,
      });
      if (result.kind !== 'linked') throw new Error(`could not link ${account.accountId}: ${result.kind}`);
    },
    async requestSync(userId, mode = 'incremental') {
      const accepted = await requestSync({ db: t.db, queues: { psn: queue }, log, enqueueTimeoutMs: 5_000 }, { userId, platform: psn, mode });
      return accepted.syncId;
    },
    settled(jobId, timeoutMs = 60_000) {
      return settledJob(queue, jobId, timeoutMs);
    },
    async run(syncId) {
      const row = await t.db.selectFrom('sync_logs').selectAll().where('id', '=', syncId).executeTakeFirstOrThrow();
      return row as typeof row & { stats: SyncStats };
    },
    async sync(userId, mode = 'incremental', timeoutMs = 60_000) {
      const syncId = await harness.requestSync(userId, mode);
      await harness.settled(syncId, timeoutMs);
      return harness.run(syncId);
    },
    async close() {
      for (const worker of workers) await worker.close();
      await queue.close();
      producer.disconnect();
      await sandbox.close();
      await redis.cleanup();
      await t.drop();
    },
  };
  return harness;
}
