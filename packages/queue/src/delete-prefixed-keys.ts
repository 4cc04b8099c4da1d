import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.ts';

/**
 * Removes every key under a queue prefix (queues, job data, rate-limit counters, idempotency keys):
 * what tearing down a test's or benchmark's prefix needs. SCAN + UNLINK, so a large prefix never
 * blocks Redis the way KEYS + DEL would. On a cluster SCAN sees one node's keys only, so every
 * master is scanned. Returns how many keys were removed.
 */
export async function deletePrefixedKeys(redis: RedisClient, prefix: string): Promise<number> {
  if (!(redis instanceof Cluster)) return deleteOnNode(redis, prefix, false);
  const removed = await Promise.all(redis.nodes('master').map((node) => deleteOnNode(node, prefix, true)));
  return removed.reduce((sum, n) => sum + n, 0);
}

async function deleteOnNode(node: Redis, prefix: string, clusterNode: boolean): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    if (!clusterNode) {
      removed += await node.unlink(...keys);
      continue;
    }
    // One UNLINK per key on a cluster node: a multi-key UNLINK is refused (CROSSSLOT) unless all keys share a slot.
    const replies = await node.pipeline(keys.map((key) => ['unlink', key])).exec();
    removed += (replies ?? []).reduce((sum, [error, n]) => sum + (error ? 0 : Number(n)), 0);
  } while (cursor !== '0');
  return removed;
}
