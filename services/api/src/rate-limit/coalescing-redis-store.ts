import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { ClientContext, Result } from 'ioredis';
import type { RedisClient } from '@ach/queue';

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;
interface PendingIncr {
  key: string;
  timeWindow: number;
  callback: IncrCallback;
}

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** numKeys keys, then one window (ms) per key; replies [current1, ttl1, current2, ttl2, …]. */
    achRateLimitIncrMany(numKeys: number, ...keysThenWindows: (string | number)[]): Result<number[], Context>;
  }
}

/**
 * The same fixed-window counter as @fastify/rate-limit's RedisStore (INCR, PEXPIRE on the first
 * hit, else report PTTL) on the same keys, so replicas running either store count together —
 * for many keys in one script call. A key may repeat (one user's concurrent requests): it is
 * counted once per occurrence.
 */
const INCR_MANY_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('INCR', key)
  local ttl
  if current == 1 then
    ttl = tonumber(ARGV[i])
    redis.call('PEXPIRE', key, ttl)
  else
    ttl = redis.call('PTTL', key)
  end
  out[2 * i - 1] = current
  out[2 * i] = ttl
end
return out`;

/**
 * A Redis store for @fastify/rate-limit that sends the counter increments of every request that
 * reaches the limiter in one event-loop turn as ONE script call: one socket write and one Redis
 * wake-up per turn instead of one per request. (Not an ioredis pipeline: building one copies every
 * script BullMQ defined on the connection, which showed up in the profile.) Limits stay in Redis,
 * so they hold across replicas; only the round trip is shared. An increment that fails reports its
 * error, and the plugin's `skipOnError` decides what that means.
 */
export function coalescingRedisStore(redis: RedisClient, nameSpace: string): FastifyRateLimitStoreCtor {
  if (typeof redis.achRateLimitIncrMany !== 'function') redis.defineCommand('achRateLimitIncrMany', { lua: INCR_MANY_SCRIPT });

  let pending: PendingIncr[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    redis.achRateLimitIncrMany(batch.length, ...batch.map((p) => p.key), ...batch.map((p) => p.timeWindow)).then(
      (replies) => {
        batch.forEach((p, i) => p.callback(null, { current: replies[2 * i]!, ttl: replies[2 * i + 1]! }));
      },
      (error: Error) => {
        for (const p of batch) p.callback(error);
      },
    );
  }

  class CoalescingRedisStore implements FastifyRateLimitStore {
    readonly prefix: string;
    constructor(_options?: FastifyRateLimitOptions, prefix = nameSpace) {
      this.prefix = prefix;
    }

    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      pending.push({ key: this.prefix + key, timeWindow, callback });
      if (!scheduled) {
        scheduled = true;
        // setImmediate, not a microtask: requests parsed in the same I/O phase join one pipeline.
        setImmediate(flush);
      }
    }

    child(
      routeOptions: Parameters<FastifyRateLimitStore['child']>[0] & { groupId?: string; routeInfo?: { method?: string | string[]; url?: string } },
    ): FastifyRateLimitStore {
      // Routes of one group (e.g. all the linking routes) count together; otherwise RedisStore's
      // per-route key layout, kept so that counts carry over between the two stores.
      if (routeOptions.groupId) return new CoalescingRedisStore(undefined, `${this.prefix}group:${routeOptions.groupId}-`);
      const method = routeOptions.routeInfo?.method ?? '';
      const url = routeOptions.routeInfo?.url ?? '';
      return new CoalescingRedisStore(undefined, `${this.prefix}${String(method)}${url}-`);
    }
  }
  return CoalescingRedisStore;
}
