import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import { createCredentialCipherFromEnv } from '@ach/crypto';
import type { Logger } from '@ach/observability';
import { createSteamClient } from '@ach/platform-clients';
import {
  createApiCallTracker,
  createRedisTokenBucket,
  createSyncEngine,
  createSyncRunRepository,
  createSyncWorker,
  type SyncWorker,
} from '@ach/sync-engine';
import { createSteamAdapter } from './steam-adapter.ts';
import type { SteamWorkerEnv } from './worker-env.ts';

/**
 * Wires the Steam worker: Steam client (shared Redis rate limiter, per-job call counts) → adapter →
 * engine → runner. Connections are the caller's: main.ts opens and closes them, tests share theirs.
 */
export function createSteamWorker(deps: { env: SteamWorkerEnv; log: Logger; db: Kysely<Database>; redis: Redis }): SyncWorker {
  const { env, log, db, redis } = deps;
  const cipher = createCredentialCipherFromEnv(env);
  const limiter = createRedisTokenBucket({ redis, key: `${env.QUEUE_PREFIX}:rate-limit:steam`, ratePerSecond: env.STEAM_RATE_LIMIT_PER_SECOND });
  const calls = createApiCallTracker();
  const client = createSteamClient({
    baseUrl: env.STEAM_API_BASE_URL,
    apiKey: env.STEAM_API_KEY,
    beforeCall: () => limiter.take(),
    onCall: calls.onCall,
  });
  const runs = createSyncRunRepository({ db, redis, queuePrefix: env.QUEUE_PREFIX, log });
  const engine = createSyncEngine({
    db,
    adapter: createSteamAdapter(client),
    runs,
    log,
    cipher,
    calls,
    gameConcurrency: env.SYNC_GAME_CONCURRENCY,
    batchMaxRows: env.SYNC_WRITE_BATCH_ROWS,
  });
  return createSyncWorker({
    engine,
    runs,
    limiter,
    connection: redis,
    prefix: env.QUEUE_PREFIX,
    concurrency: env.WORKER_CONCURRENCY,
    log,
  });
}
