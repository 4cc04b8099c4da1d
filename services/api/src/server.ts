import { parseEnvOrExit } from '@ach/config';
import { createCredentialCipher } from '@ach/crypto';
import { createDb } from '@ach/db';
import { createLogger } from '@ach/observability';
import { createRedisConnection, createSyncQueues } from '@ach/queue';
import { apiConfigFrom, apiEnv } from './api-env.ts';
import { createApp } from './app.ts';
import { createPlatformLinking } from './linking/platform-linking.ts';

/** The API process: parse the environment once, wire real dependencies, listen, shut down cleanly. */
const env = parseEnvOrExit(apiEnv);
const log = createLogger({ name: 'api', level: env.LOG_LEVEL });

const db = createDb(env.DATABASE_URL, { max: 20, applicationName: 'achievement-sync-api', connectionTimeoutMillis: 2_000, statementTimeoutMillis: 10_000 });
// commandTimeout: a half-open connection must not hang a request; the producer never blocks by design.
const redis = createRedisConnection(env.REDIS_URL, 'producer', { commandTimeout: 1_500 });
const queues = createSyncQueues({ connection: redis, prefix: env.QUEUE_PREFIX });

const app = await createApp({
  db,
  queues,
  redis,
  createSubscriber: () => createRedisConnection(env.REDIS_URL, 'subscriber'),
  cipher: createCredentialCipher({
    key: env.CREDENTIALS_ENCRYPTION_KEY,
    oldKeys: env.CREDENTIALS_ENCRYPTION_OLD_KEYS.split(',').map((k) => k.trim()).filter(Boolean),
  }),
  log,
  config: apiConfigFrom(env),
  linking: createPlatformLinking(env),
});

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
  const forced = setTimeout(() => {
    log.error('shutdown took longer than 15 s; exiting');
    process.exit(1);
  }, 15_000);
  forced.unref();
  try {
    await app.close(); // stops accepting, waits for in-flight requests
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await redis.quit().catch(() => redis.disconnect());
    await db.destroy();
    log.info('shut down');
  } catch (error) {
    log.error({ err: error }, 'error during shutdown');
    process.exitCode = 1;
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  await app.listen({ port: env.PORT, host: env.HOST });
} catch (error) {
  log.fatal({ err: error }, 'could not listen');
  process.exit(1);
}
