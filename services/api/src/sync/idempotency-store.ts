import { createHash } from 'node:crypto';
import type { RedisClient } from '@ach/queue';
import { z } from 'zod';

const storedSchema = z.object({ fingerprint: z.string(), status: z.number().int(), body: z.unknown() });
export type StoredResponse = z.infer<typeof storedSchema>;

export interface IdempotencyStore {
  get(userId: string, key: string): Promise<StoredResponse | undefined>;
  /** Stores the first response; returns the one already stored when another request won. */
  putFirst(userId: string, key: string, response: StoredResponse): Promise<StoredResponse>;
}

const TTL_SECONDS = 24 * 3600;

const sha = (value: string) => createHash('sha256').update(value).digest('base64url');

/** What makes two requests "the same request": route and body. */
export function requestFingerprint(method: string, route: string, body: unknown): string {
  return sha(`${method} ${route} ${JSON.stringify(body ?? null)}`);
}

/**
 * Kept in Redis under the queue prefix, one key per user + Idempotency-Key (hashed: the key is
 * client-chosen text), expiring after 24 h.
 */
export function createIdempotencyStore(redis: RedisClient, prefix: string): IdempotencyStore {
  const keyOf = (userId: string, key: string) => `${prefix}:idempotency:${userId}:${sha(key)}`;
  const parse = (raw: string | null) => {
    if (raw === null) return undefined;
    const parsed = storedSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  };
  return {
    async get(userId, key) {
      return parse(await redis.get(keyOf(userId, key)));
    },
    async putFirst(userId, key, response) {
      const redisKey = keyOf(userId, key);
      const set = await redis.set(redisKey, JSON.stringify(response), 'EX', TTL_SECONDS, 'NX');
      if (set === 'OK') return response;
      return parse(await redis.get(redisKey)) ?? response;
    },
  };
}
