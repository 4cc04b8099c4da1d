import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers (the API) must fail fast when Redis is away — a request may not wait on a reconnect —
 * so their commands are not queued offline and give up after one try. Workers block on Redis by
 * design and need `maxRetriesPerRequest: null` (a BullMQ requirement).
 */
export function createRedisConnection(url: string, role: 'producer' | 'worker' | 'subscriber', extra: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...(role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true }),
    ...extra,
  };
  const redis = new Redis(url, base);
  // Reconnects are handled by ioredis; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
}
