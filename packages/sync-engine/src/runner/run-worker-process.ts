import { parseEnv, parseEnvOrExit, requireHashTaggedPrefixOnCluster } from '@ach/config';
import { createCredentialCipherFromEnv } from '@ach/crypto';
import { createLogger, type Logger } from '@ach/observability';
import { pingRedis } from '@ach/queue';
import { onShutdown, openCoreConnections, type CoreConnections } from '@ach/runtime';
import { createSyncRunRepository } from '@ach/sync-runs';
import { createApiCallTracker } from '../engine/api-call-tracker.ts';
import { createRedisRunCheckpoints } from '../engine/run-checkpoints.ts';
import { createSyncEngine } from '../engine/sync-engine.ts';
import { createSyncWorker, type SyncWorker } from './sync-worker.ts';
import { startWorkerHeartbeat, type WorkerHeartbeat } from './worker-heartbeat.ts';
import type { WorkerPlatform } from './worker-platform.ts';
import { workerCoreEnv, type WorkerCoreEnv } from './worker-env.ts';

export interface WorkerProcessOverrides {
  /**
   * Read instead of `process.env` (a test running the worker in-process). A bad value then throws
   * ConfigError instead of exiting with 78.
   */
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** SIGTERM/SIGINT run `close()` and exit (default: only when `env` is not overridden, i.e. a real process). */
  shutdownOnSignals?: boolean;
}

export interface WorkerProcess {
  /** Core + the platform's variables, as parsed. */
  env: WorkerCoreEnv & Record<string, unknown>;
  log: Logger;
  connections: CoreConnections;
  /** Undefined while the platform has no adapter: the process then consumes nothing. */
  worker: SyncWorker | undefined;
  /** Lets running jobs finish within SHUTDOWN_GRACE_MS (then hands them back), closes the connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * A whole worker process for one platform: environment (core + the platform's `env` and `workerEnv`
 * pieces + worker tunables) → logger → Postgres + Redis (waits for both) → the platform's shared
 * limiter and client (per-job call counts) → adapter → engine → runner → shutdown. A worker's
 * `main.ts` is this one call; a test runs it in-process with `overrides.env` and closes the handle.
 */
export async function runWorkerProcess(platform: WorkerPlatform, overrides: WorkerProcessOverrides = {}): Promise<WorkerProcess> {
  const name = `worker-${platform.slug}`;
  const schema = workerCoreEnv
    .extend(platform.env.shape)
    .extend(platform.workerEnv?.shape ?? {})
    // The platform pieces' shapes are generic here: the core fields are there, their types are not.
    .superRefine((parsed, ctx) => requireHashTaggedPrefixOnCluster(parsed as unknown as WorkerCoreEnv, ctx));
  const env = (overrides.env ? parseEnv(schema, overrides.env) : parseEnvOrExit(schema)) as WorkerCoreEnv & Record<string, unknown>;
  const log = overrides.log ?? createLogger({ name, level: env.LOG_LEVEL });
  const connections = await openCoreConnections({
    name,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    log,
    // Each job in flight holds at most one connection at a time (writes are serialized per job).
    poolSize: env.WORKER_CONCURRENCY + 2,
  });

  let worker: SyncWorker | undefined;
  try {
    worker = createPlatformWorker(platform, { env, log, connections });
  } catch (error) {
    await connections.close();
    throw error;
  }

  const heartbeat: WorkerHeartbeat | undefined = env.WORKER_HEARTBEAT_FILE
    ? startWorkerHeartbeat({
        file: env.WORKER_HEARTBEAT_FILE,
        everyMs: env.WORKER_HEARTBEAT_EVERY_MS,
        isHealthy: async () => {
          const { db, redis } = connections;
          await Promise.all([pingRedis(redis, env.QUEUE_PREFIX), db.selectNoFrom((eb) => eb.lit(1).as('one')).execute()]);
          return worker?.worker.isRunning() ?? true;
        },
        log,
      })
    : undefined;

  let closing: Promise<void> | undefined;
  // Finish the jobs in flight within the grace period, else hand them back (their locks lapse and
  // another replica reruns them to the same end state); then close the queue connection and the pool.
  const close = () =>
    (closing ??= (async () => {
      await heartbeat?.stop();
      await worker?.close(env.SHUTDOWN_GRACE_MS);
      await connections.close();
    })());

  if (overrides.shutdownOnSignals ?? !overrides.env) {
    onShutdown({ log, timeoutMs: env.SHUTDOWN_GRACE_MS + 10_000 }, close);
    process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection'));
  }
  // Only now, with the shutdown path in place, may anyone act on "started" (e.g. send SIGTERM).
  if (worker) log.info({ queue: platform.queueName, concurrency: env.WORKER_CONCURRENCY, queuePrefix: env.QUEUE_PREFIX }, `${name} started`);
  else log.info({ queue: platform.queueName, queuePrefix: env.QUEUE_PREFIX }, `${name} ready (consumes no jobs yet)`);
  return { env, log, connections, worker, close };
}

function createPlatformWorker(
  platform: WorkerPlatform,
  deps: { env: WorkerCoreEnv & Record<string, unknown>; log: Logger; connections: CoreConnections },
): SyncWorker | undefined {
  // Until a platform has an adapter its jobs wait in the queue (visible in Bull Board) instead of failing.
  if (!platform.createAdapter) return undefined;
  const { env, log } = deps;
  const { db, redis } = deps.connections;
  const limiter = platform.workerLimiter?.({ env, redis, prefix: env.QUEUE_PREFIX });
  const calls = createApiCallTracker();
  const client = platform.createClient(env, { beforeCall: limiter ? () => limiter.take() : undefined, onCall: calls.onCall });
  const runs = createSyncRunRepository({ db, redis, queuePrefix: env.QUEUE_PREFIX, log });
  const engine = createSyncEngine({
    db,
    adapter: platform.createAdapter({ platform, env, client, log, limiter }),
    runs,
    log,
    cipher: createCredentialCipherFromEnv(env),
    calls,
    gameConcurrency: env.SYNC_GAME_CONCURRENCY,
    batchMaxRows: env.SYNC_WRITE_BATCH_ROWS,
    checkpoints: createRedisRunCheckpoints({ redis, prefix: env.QUEUE_PREFIX, log }),
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
