import { parseEnvOrExit } from '@ach/config';
import { createLogger } from '@ach/observability';
import { onShutdown, openCoreConnections } from '@ach/runtime';
import { monitorConfigFromEnv, startMonitor, type RunningMonitor } from './create-monitor.ts';
import { monitorEnv } from './monitor-env.ts';

const env = parseEnvOrExit(monitorEnv);
const log = createLogger({ name: 'monitor', level: env.LOG_LEVEL });
const connections = await openCoreConnections({ name: 'monitor', databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL, log });
// Registered before starting: a SIGTERM while the monitor starts up still shuts down cleanly.
const running: { monitor?: RunningMonitor } = {};
onShutdown({ log }, async () => {
  await running.monitor?.close();
  await connections.close();
});
running.monitor = await startMonitor(monitorConfigFromEnv(env), { db: connections.db, redis: connections.redis, log });
log.info({ prefix: env.QUEUE_PREFIX, httpPort: running.monitor.httpPort }, 'monitor ready');
