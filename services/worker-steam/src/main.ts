// Must stay the first import: it sets V8 heap flags before the rest of the process allocates.
import './heap-profile.ts';
import { parseEnvOrExit } from '@ach/config';
import { createLogger } from '@ach/observability';
import { onShutdown, openCoreConnections } from '@ach/runtime';
import { createSteamWorker } from './steam-worker.ts';
import { steamWorkerEnvSchema } from './worker-env.ts';

const env = parseEnvOrExit(steamWorkerEnvSchema);
const log = createLogger({ name: 'worker-steam', level: env.LOG_LEVEL });
const connections = await openCoreConnections({
  name: 'worker-steam',
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  log,
  // Each job in flight holds at most one connection at a time (writes are serialized per job).
  poolSize: env.WORKER_CONCURRENCY + 2,
});
const worker = createSteamWorker({ env, log, db: connections.db, redis: connections.redis });

// Finish the jobs in flight within the grace period, else hand them back (their locks lapse and
// another replica reruns them to the same end state); then close the queue connection and the pool.
onShutdown({ log, timeoutMs: env.SHUTDOWN_GRACE_MS + 10_000 }, async () => {
  await worker.close(env.SHUTDOWN_GRACE_MS);
  await connections.close();
});
process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection'));
// Only now, with the shutdown path in place, may anyone act on "started" (e.g. send SIGTERM).
log.info({ concurrency: env.WORKER_CONCURRENCY, queuePrefix: env.QUEUE_PREFIX }, 'worker-steam started');

