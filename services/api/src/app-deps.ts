import type { RedisClient } from '@ach/queue';
import type { Kysely } from 'kysely';
import type { CredentialCipher } from '@ach/crypto';
import type { Database } from '@ach/db';
import type { Logger } from '@ach/observability';
import type { PlatformRegistry } from '@ach/platform-registry';
import type { SyncQueues } from '@ach/queue';
import type { ApiConfig } from './api-env.ts';
import type { AccountLinking } from './linking/account-linking.ts';

/** Everything the app talks to, passed in: server.ts wires real ones, tests wire test ones. */
export interface AppDeps {
  db: Kysely<Database>;
  /** The platforms this app serves: routes, params, cursors, queues and metrics are derived from it. */
  platforms: PlatformRegistry;
  /** One per registry slug: `createSyncQueues(platforms.slugs, …)`. */
  queues: SyncQueues;
  /** Producer connection (fails fast): idempotency keys, rate limits, readiness. */
  redis: RedisClient;
  /** Opens the app's one subscriber connection, shared by every SSE stream (subscriber mode takes a connection over); called at most once per app. */
  createSubscriber: () => RedisClient;
  cipher: CredentialCipher;
  log: Logger;
  config: ApiConfig;
  linking: AccountLinking;
}

export interface AppOptions {
  /** Request bodies larger than this are refused with 413 (default 64 KiB). */
  bodyLimit?: number;
  /** Deadline for queue.add before POST /sync answers 503 (default 1500 ms). */
  enqueueTimeoutMs?: number;
  /** Per-user limits per window on POST /sync/*, the linking routes, opening SSE streams and the WatermelonDB sync routes (default 30, 10, 30, 60 per minute). */
  rateLimit?: { syncMax?: number; linkMax?: number; streamMax?: number; clientSyncMax?: number; timeWindowMs?: number };
  /** Largest `POST /sync-push` body (default 1 MiB); larger → 413. */
  clientSyncPushBodyLimit?: number;
  /** SSE heartbeat interval (default 15 s). */
  sseHeartbeatMs?: number;
  /** SSE streams one user may have open at once, across replicas; beyond it 429 `too_many_streams` (default 5). */
  sseMaxStreamsPerUser?: number;
  /** An SSE stream ends with a `reconnect` event after this long (default 15 min). */
  sseMaxStreamLifetimeMs?: number;
  /** How long one reading of the queue counts serves `/metrics` scrapes (default 5 s). */
  metricsQueueCountsTtlMs?: number;
  /** Serve /docs and /openapi.json (default true). */
  docs?: boolean;
  /** How long `POST /admin/quality/run` waits for a quality run in progress elsewhere before answering 409 (default 5 s). */
  qualityRunLockWaitMs?: number;
}
