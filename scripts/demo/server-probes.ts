/**
 * Does a Postgres / Redis answer at this URL? "Answers" means a server replied, even with an error
 * (wrong password, unknown database): the demo then uses it and reports that error, rather than
 * quietly starting a throwaway server beside a misconfigured real one. Only silence (refused,
 * unreachable, timed out) counts as not answering.
 */
import pg from 'pg';
import { Redis, ReplyError } from 'ioredis';

export async function postgresAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch (error) {
    return error instanceof pg.DatabaseError;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch (error) {
    return error instanceof ReplyError;
  } finally {
    redis.disconnect();
  }
}
