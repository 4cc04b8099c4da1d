import type { RedisClient } from '@ach/queue';
import type { Kysely } from 'kysely';
import { createDb, pingDatabase, type Database } from '@ach/db';
import type { Logger } from '@ach/observability';
import { createRedisConnection } from '@ach/queue';
import { waitForDependencies } from './wait-for-dependencies.ts';

export interface CoreConnections {
  db: Kysely<Database>;
  redis: RedisClient;
  close: () => Promise<void>;
}

/**
 * The Postgres pool and Redis connection every long-running process needs, opened and checked
 * before the process reports ready.
 */
export async function openCoreConnections(options: {
  name: string;
  databaseUrl: string;
  redisUrl: string;
  log: Logger;
  poolSize?: number;
}): Promise<CoreConnections> {
  const db = createDb(options.databaseUrl, { max: options.poolSize ?? 5, applicationName: options.name });
  const redis = createRedisConnection(options.redisUrl, 'worker');
  const close = async () => {
    redis.disconnect();
    await db.destroy();
  };
  try {
    await waitForDependencies(
      [
        { name: 'postgres', ping: () => pingDatabase(db) },
        { name: 'redis', ping: () => redis.ping() },
      ],
      { log: options.log },
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { db, redis, close };
}
