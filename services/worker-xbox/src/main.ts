import { credentialsKeyEnv, databaseEnv, logEnv, parseEnvOrExit, redisEnv } from '@ach/config';
import { createLogger } from '@ach/observability';
import { onShutdown, openCoreConnections } from '@ach/runtime';

/**
 * Until the Xbox sync issue lands this worker only proves its wiring: it connects, reports ready and
 * exits cleanly on SIGTERM. It deliberately consumes no jobs, so xbox syncs wait in `sync-xbox` (visible
 * in Bull Board) instead of failing.
 */
const env = parseEnvOrExit(databaseEnv.extend(redisEnv.shape).extend(logEnv.shape).extend(credentialsKeyEnv.shape));
const log = createLogger({ name: 'worker-xbox', level: env.LOG_LEVEL });
const connections = await openCoreConnections({ name: 'worker-xbox', databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, log });
onShutdown({ log }, connections.close);
log.info({ queue: 'sync-xbox', prefix: env.QUEUE_PREFIX }, 'worker-xbox ready (consumes no jobs yet)');
