import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { createCredentialCipher } from '@ach/crypto';
import type { Database } from '@ach/db';
import { createLogger } from '@ach/observability';
import { builtinPlatformRegistry } from '@ach/platform-registry';
import { createRedisConnection, createSyncQueues, type RedisClient } from '@ach/queue';
import { userBearer } from '@ach/testing';
import { createApp } from '../../src/app.ts';
import { createPlatformLinking } from '../../src/linking/platform-linking.ts';

/** What a worker's sync harness gives the API: its database, Redis, queue prefix, key and sandbox. */
export interface WorkerHarnessParts {
  db: Kysely<Database>;
  redis: { url: string };
  env: { QUEUE_PREFIX: string; CREDENTIALS_ENCRYPTION_KEY: string };
  sandbox: { url: string };
}

export interface ApiOverWorkerHarness {
  app: FastifyInstance;
  /** `Authorization` headers for a user, signed with this API's secret. */
  bearer(userId: string): Promise<{ authorization: string }>;
  /** A subscriber connection to the harness's Redis, closed with the API. */
  subscriber(): RedisClient;
  close(): Promise<void>;
}

/**
 * The real API (every platform of the registry, linking against the harness's sandbox) in front of a
 * worker's sync harness: what the workers' end-to-end tests drive with app.inject. `linkingEnv`
 * adds what linking needs beyond the sandbox's base URLs (e.g. STEAM_API_KEY).
 */
export async function startApiOverWorkerHarness(h: WorkerHarnessParts, options: { jwtSecret: string; linkingEnv?: Record<string, string> }): Promise<ApiOverWorkerHarness> {
  const platforms = builtinPlatformRegistry();
  const producer = createRedisConnection(h.redis.url, 'producer');
  const queues = createSyncQueues(platforms.slugs, { connection: producer, prefix: h.env.QUEUE_PREFIX });
  const subscribers: RedisClient[] = [];
  const subscriber = () => {
    const connection = createRedisConnection(h.redis.url, 'subscriber');
    subscribers.push(connection);
    return connection;
  };
  // Every platform's base URLs point at the sandbox, read off the registry's env schemas.
  const sandboxUrls = Object.fromEntries(
    platforms.modules.flatMap((m) => Object.keys(m.env.shape).filter((name) => name.endsWith('_BASE_URL')).map((name) => [name, h.sandbox.url])),
  );
  const app = await createApp(
    {
      db: h.db,
      platforms,
      queues,
      redis: producer,
      createSubscriber: subscriber,
      cipher: createCredentialCipher({ key: h.env.CREDENTIALS_ENCRYPTION_KEY }),
      log: createLogger({ name: 'api-e2e', level: 'silent' }),
      config: { queuePrefix: h.env.QUEUE_PREFIX, jwt: { secret: options.jwtSecret, audience: 'authenticated' } },
      linking: createPlatformLinking(platforms, { ...sandboxUrls, ...options.linkingEnv }),
    },
    { docs: false },
  );
  await app.ready();
  return {
    app,
    bearer: (userId) => userBearer(userId, options.jwtSecret),
    subscriber,
    async close() {
      await app.close();
      for (const queue of Object.values(queues)) await queue.close();
      producer.disconnect();
      for (const s of subscribers) s.disconnect();
    },
  };
}
