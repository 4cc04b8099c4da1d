import { randomBytes, randomUUID } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { sql, type Kysely } from 'kysely';
import { createPlatformAccountRepository } from '@ach/accounts';
import { createCredentialCipher, credentialsAssociatedData, type CredentialCipher } from '@ach/crypto';
import type { Database } from '@ach/db';
import { createLogger } from '@ach/observability';
import { xboxCredentialsSchema, type XboxCredentials } from '@ach/platform-clients';
import { xbox, xboxWorkerEnv, type XboxWorkerEnv } from '@ach/platform-registry';
import { startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import { createRedisConnection, createSyncQueue, type SyncJob, type RedisClient } from '@ach/queue';
import { runWorkerProcess, workerCoreEnv, type SyncStats, type WorkerCoreEnv, type WorkerProcess } from '@ach/sync-engine';
import { requestSync } from '@ach/sync-runs';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, settledJob } from '@ach/testing';

type SandboxOptions = NonNullable<Parameters<typeof startSandbox>[0]>;

export const XBOX_TEST_CLIENT_ID = 'sandbox-xbox-client';

export interface XboxSyncHarness {
  t: TestDatabase;
  db: Kysely<Database>;
  redis: TestRedis;
  sandbox: StartedSandbox;
  queue: Queue<SyncJob>;
  env: WorkerCoreEnv & XboxWorkerEnv;
  /** The environment the worker parses (base URLs pointing at the sandbox). */
  rawEnv: Record<string, string>;
  cipher: CredentialCipher;
  /** The real process wiring (`runWorkerProcess(xbox)`) in-process, on the harness's environment. */
  startWorker(): Promise<WorkerProcess>;
  createUser(): Promise<string>;
  /** What `PUT /accounts/xbox` does: the module's linking (refresh token → XSTS against the sandbox), sealed and stored. */
  link(userId: string, refreshToken: string): Promise<void>;
  /** The account's stored credentials, opened. */
  storedCredentials(userId: string): Promise<XboxCredentials>;
  /** Seals and stores credentials as they are (e.g. an XSTS token whose NotAfter has passed). */
  storeCredentials(userId: string, credentials: XboxCredentials): Promise<void>;
  /** Through the accept path POST /sync/xbox uses (@ach/sync-runs). */
  requestSync(userId: string, mode?: 'incremental' | 'full'): Promise<string>;
  settled(jobId: string, timeoutMs?: number): Promise<Job<SyncJob>>;
  /** Request, wait, and read back the run's row. */
  sync(userId: string, mode?: 'incremental' | 'full'): Promise<{ syncId: string; job: Job<SyncJob>; log: SyncLogRow; stats: SyncStats }>;
  /** Sandbox call counts made while `fn` ran (per endpoint id, optionally one parameter match). */
  callsDuring<T>(fn: () => Promise<T>, ...counts: [endpoint: string, match?: Record<string, string>][]): Promise<{ result: T; calls: number[] }>;
  close(): Promise<void>;
}

export interface SyncLogRow {
  status: string;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  stats: unknown;
}

export async function createXboxSyncHarness(options: { sandbox?: SandboxOptions; env?: Record<string, string> } = {}): Promise<XboxSyncHarness> {
  const t = await createTestDatabase();
  const redis = createTestRedis();
  const sandbox = await startSandbox({ port: 0, ...options.sandbox });
  const producer: RedisClient = createRedisConnection(redis.url, 'worker');
  const queue = createSyncQueue('xbox', { connection: producer, prefix: redis.prefix });
  const rawEnv: Record<string, string> = {
    DATABASE_URL: t.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '2000',
    XBOX_CLIENT_ID: XBOX_TEST_CLIENT_ID,
    XBOX_MSA_BASE_URL: sandbox.url,
    XBOX_USER_AUTH_BASE_URL: sandbox.url,
    XBOX_XSTS_BASE_URL: sandbox.url,
    XBOX_ACHIEVEMENTS_BASE_URL: sandbox.url,
    XBOX_TITLEHUB_BASE_URL: sandbox.url,
    XBOX_PROFILE_BASE_URL: sandbox.url,
    // Unthrottled unless a test says otherwise: the sandbox has no limit by default either.
    XBOX_RATE_LIMIT_MAX: '100000',
    XBOX_RATE_LIMIT_SUSTAIN_MAX: '100000',
    ...options.env,
  };
  const env = workerCoreEnv.extend(xbox.env.shape).extend(xboxWorkerEnv.shape).parse(rawEnv) as WorkerCoreEnv & XboxWorkerEnv;
  const cipher = createCredentialCipher({ key: env.CREDENTIALS_ENCRYPTION_KEY });
  const workers: WorkerProcess[] = [];
  const log = createLogger({ name: 'worker-xbox-test', level: 'silent' });
  const accounts = createPlatformAccountRepository(t.db);
  const aad = (userId: string) => credentialsAssociatedData(userId, 'xbox');

  const h: XboxSyncHarness = {
    t,
    db: t.db,
    redis,
    sandbox,
    queue,
    env,
    rawEnv,
    cipher,
    async startWorker() {
      const worker = await runWorkerProcess(xbox, { env: rawEnv, log });
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
    async link(userId, refreshToken) {
      const linked = await xbox.linking!.link({ refreshToken }, { env });
      const outcome = await accounts.link({
        userId,
        platformId: xbox.id,
        externalAccountId: linked.externalAccountId,
        displayName: linked.displayName,
        avatarUrl: linked.avatarUrl,
        credentials: cipher.sealJson(linked.credentials, aad(userId)),
        tokenExpiresAt: linked.tokenExpiresAt,
        refreshExpiresAt: linked.refreshExpiresAt,
        verified: true,
      });
      if (outcome.kind !== 'linked') throw new Error(`could not link: ${outcome.kind}`);
    },
    async storedCredentials(userId) {
      const row = await accounts.loadForSync(userId, xbox.id);
      if (!row?.credentials_ciphertext || !row.credentials_key_id) throw new Error('no stored credentials');
      return xboxCredentialsSchema.parse(cipher.openJson({ ciphertext: row.credentials_ciphertext, keyId: row.credentials_key_id }, aad(userId)));
    },
    async storeCredentials(userId, credentials) {
      await accounts.saveCredentials(userId, xbox.id, cipher.sealJson(credentials, aad(userId)));
    },
    async requestSync(userId, mode = 'incremental') {
      const accepted = await requestSync({ db: t.db, queues: { xbox: queue }, log, enqueueTimeoutMs: 5_000 }, { userId, platform: xbox, mode });
      return accepted.syncId;
    },
    settled(jobId, timeoutMs = 90_000) {
      return settledJob(queue, jobId, timeoutMs);
    },
    async sync(userId, mode = 'incremental') {
      const syncId = await h.requestSync(userId, mode);
      const job = await h.settled(syncId);
      const log = await t.db
        .selectFrom('sync_logs')
        .select(['status', 'error_code', 'error_message', 'attempts', 'stats'])
        .where('id', '=', syncId)
        .executeTakeFirstOrThrow();
      return { syncId, job, log, stats: log.stats as unknown as SyncStats };
    },
    async callsDuring(fn, ...counts) {
      const count = () => counts.map(([endpoint, match]) => sandbox.state.calls.count(endpoint, match));
      const before = count();
      const result = await fn();
      const after = count();
      return { result, calls: after.map((n, i) => n - before[i]!) };
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
  return h;
}
