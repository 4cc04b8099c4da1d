import { databaseEnv, logEnv, parseEnvOrExit, redisEnv } from '@ach/config';
import { createLogger } from '@ach/observability';
import { MONITOR_QUEUE_NAME } from '@ach/queue';
import { onShutdown, openCoreConnections } from '@ach/runtime';

/**
 * The quality checks and their schedules arrive with the monitor issue; until then the monitor
 * proves its wiring (Postgres, Redis, clean SIGTERM) and schedules nothing.
 */
const env = parseEnvOrExit(databaseEnv.extend(redisEnv.shape).extend(logEnv.shape));
const log = createLogger({ name: 'monitor', level: env.LOG_LEVEL });
const connections = await openCoreConnections({ name: 'monitor', databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, log });
onShutdown({ log }, connections.close);
log.info({ queue: MONITOR_QUEUE_NAME, prefix: env.QUEUE_PREFIX }, 'monitor ready (no checks scheduled yet)');
