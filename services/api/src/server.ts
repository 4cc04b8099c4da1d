import { parseEnvOrExit } from '@ach/config';
import { createCredentialCipherFromEnv } from '@ach/crypto';
import { createDb } from '@ach/db';
import { createLogger } from '@ach/observability';
import { builtinPlatformRegistry } from '@ach/platform-registry';
import { createRedisConnection, createSyncQueues } from '@ach/queue';
import { onShutdown } from '@ach/runtime';
import { apiConfigFrom, apiEnvFor, apiOptionsFrom } from './api-env.ts';
import { createApp } from './app.ts';
import { createPlatformLinking } from './linking/platform-linking.ts';

/** The API process: parse the environment once, wire real dependencies, listen, shut down cleanly. */
const platforms = builtinPlatformRegistry();
const env = parseEnvOrExit(apiEnvFor(platforms));
const log = createLogger({ name: 'api', level: env.LOG_LEVEL });

const db = createDb(env.DATABASE_URL, { max: 20, applicationName: 'achievement-sync-api', connectionTimeoutMillis: 2_000, statementTimeoutMillis: 10_000 });
// commandTimeout: a half-open connection must not hang a request; the producer never blocks by design.
// Named so CLIENT LIST tells the API's connections apart from the workers'.
const redis = createRedisConnection(env.REDIS_URL, 'producer', { commandTimeout: 1_500, connectionName: 'achievement-sync-api' });
const queues = createSyncQueues(platforms.slugs, { connection: redis, prefix: env.QUEUE_PREFIX });

const app = await createApp(
  {
    db,
    platforms,
    queues,
    redis,
    // The one connection every SSE stream of this process shares (closed with the app).
    createSubscriber: () => createRedisConnection(env.REDIS_URL, 'subscriber', { connectionName: 'achievement-sync-api-events' }),
    cipher: createCredentialCipherFromEnv(env),
    log,
    config: apiConfigFrom(env),
    linking: createPlatformLinking(platforms, env),
  },
  apiOptionsFrom(env),
);

// Stop accepting, let in-flight requests finish, then close the queue, Redis and the pool.
onShutdown({ log, timeoutMs: 15_000 }, async () => {
  await app.close();
  await Promise.all(Object.values(queues).map((q) => q.close()));
  await redis.quit().catch(() => redis.disconnect());
  await db.destroy();
});

try {
  await app.listen({ port: env.PORT, host: env.HOST });
} catch (error) {
  log.fatal({ err: error }, 'could not listen');
  process.exit(1);
}
