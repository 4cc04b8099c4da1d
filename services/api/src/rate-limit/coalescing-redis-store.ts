import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { ClientContext, Redis, Result } from 'ioredis';

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;
interface PendingIncr {
  key: string;
  timeWindow: number;
  callback: IncrCallback;
}

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: "default" }> {
    achRateLimitIncr(key: string, timeWindowMs: number): Result<[number, number], Context>;
  }
}

/**
 * The same fixed-window counter as @fastify/rate-limit's RedisStore (INCR, PEXPIRE on the first
 * hit, else report PTTL) on the same keys, so replicas running either store count together.
 */
const INCR_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl
if current == 1 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  ttl = redis.call('PTTL', KEYS[1])
end
return {current, ttl}`;

/**
 * A Redis store for @fastify/rate-limit that sends the counter increments of every request that
 * reaches the limiter in one event-loop turn as ONE pipeline: one socket write and one Redis
 * wake-up per turn instead of one per request. Limits stay in Redis (they hold across replicas);
 * only the transport is shared. An increment that fails reports its error, and the plugin's
 * `skipOnError` decides what that means.
 */
export function coalescingRedisStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  if (typeof redis.achRateLimitIncr !== 'function') redis.defineCommand('achRateLimitIncr', { numberOfKeys: 1, lua: INCR_SCRIPT });

  let pending: PendingIncr[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    const pipeline = redis.pipeline();
    for (const p of batch) pipeline.achRateLimitIncr(p.key, p.timeWindow);
    pipeline.exec().then(
      (results) => {
        batch.forEach((p, i) => {
          const [error, value] = results?.[i] ?? [new Error('rate-limit pipeline returned no result'), null];
          if (error) return p.callback(error);
          const [current, ttl] = value as [number, number];
          p.callback(null, { current, ttl });
        });
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

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0] & { routeInfo?: { method?: string | string[]; url?: string } }): FastifyRateLimitStore {
      // RedisStore's per-route key layout, kept so that counts carry over between the two stores.
      const method = routeOptions.routeInfo?.method ?? '';
      const url = routeOptions.routeInfo?.url ?? '';
      return new CoalescingRedisStore(undefined, `${this.prefix}${String(method)}${url}-`);
    }
  }
  return CoalescingRedisStore;
}
