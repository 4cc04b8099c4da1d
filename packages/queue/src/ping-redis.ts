import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.ts';

/**
 * Whether Redis answers for this deployment's keys, for readiness and health checks. One server:
 * PING. A cluster: a PING goes to any master and says nothing about the one slot every key under the
 * hash-tagged prefix lives in (it may be failing over), so the check is EXISTS on the prefix itself —
 * a key nobody writes, routed to the master serving that slot. Rejects when it does not answer.
 */
export async function pingRedis(redis: RedisClient, prefix: string): Promise<void> {
  if (redis instanceof Cluster) await redis.exists(prefix);
  else await redis.ping();
}
