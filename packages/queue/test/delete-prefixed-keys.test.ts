import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestRedis } from '@ach/testing';
import { deletePrefixedKeys } from '../src/delete-prefixed-keys.ts';

const t = createTestRedis();
const redis = new Redis(t.url, { maxRetriesPerRequest: 1 });
afterAll(async () => {
  await redis.del(`${t.prefix}-other:keep`);
  redis.disconnect();
  await t.cleanup();
});

describe('deletePrefixedKeys', () => {
  it('removes every key under the prefix, across SCAN pages, and nothing else', async () => {
    const keys = Array.from({ length: 2_500 }, (_, i) => `${t.prefix}:k${i}`);
    await redis.mset(...keys.flatMap((k) => [k, '1']));
    await redis.set(`${t.prefix}-other:keep`, '1');
    expect(await deletePrefixedKeys(redis, `${t.prefix}:`)).toBe(2_500);
    expect(await redis.exists(...keys.slice(0, 10))).toBe(0);
    expect(await redis.get(`${t.prefix}-other:keep`)).toBe('1');
  });
});
