import type { Redis } from 'ioredis';

/**
 * Removes every key under a queue prefix (queues, job data, rate-limit counters, idempotency keys):
 * what tearing down a test's or benchmark's prefix needs. SCAN + UNLINK, so a large prefix never
 * blocks Redis the way KEYS + DEL would. Returns how many keys were removed.
 */
export async function deletePrefixedKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}
