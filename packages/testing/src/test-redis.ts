import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { deletePrefixedKeys } from '@ach/queue';

export interface TestRedis {
  url: string;
  /** A queue prefix no other test file uses. */
  prefix: string;
  /** Deletes every key under the prefix; call in afterAll. */
  cleanup: () => Promise<void>;
}

export function createTestRedis(): TestRedis {
  const url = inject('redisUrl');
  const prefix = `test-${inject('testRunId')}-${randomBytes(4).toString('hex')}`;
  return {
    url,
    prefix,
    cleanup: async () => {
      const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
      try {
        await redis.connect();
        await deletePrefixedKeys(redis, prefix);
      } finally {
        redis.disconnect();
      }
    },
  };
}
