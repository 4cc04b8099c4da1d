import { credentialsKeyEnv, databaseEnv, logEnv, parseEnvOrExit, redisEnv } from '@ach/config';
import { createLogger } from '@ach/observability';
import { onShutdown, openCoreConnections } from '@ach/runtime';

/**
 * Until the PSN sync issue lands this worker only proves its wiring: it connects, reports ready and
 * exits cleanly on SIGTERM. It deliberately consumes no jobs, so psn syncs wait in `sync-psn` (visible
 * in Bull Board) instead of failing.
 */
const env = parseEnvOrExit(databaseEnv.extend(redisEnv.shape).extend(logEnv.shape).extend(credentialsKeyEnv.shape));
const log = createLogger({ name: 'worker-psn', level: env.LOG_LEVEL });
const connections = await openCoreConnections({ name: 'worker-psn', databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, log });
onShutdown({ log }, connections.close);
log.info({ queue: 'sync-psn', prefix: env.QUEUE_PREFIX }, 'worker-psn ready (consumes no jobs yet)');
