import type { RedisClient } from '@ach/queue';

/**
 * One bucket per platform in Redis, shared by every worker replica: each platform API call takes a
 * token first (the client's `beforeCall`). Chosen over BullMQ's queue limiter because that one
 * limits jobs started per interval, while a sync job makes anywhere from 1 to thousands of calls —
 * the platform counts calls, so we do too.
 */
export interface RateLimiter {
  /** Resolves when a call may go out. */
  take(): Promise<void>;
  /** The platform said "wait" (429 Retry-After): every replica holds off for `ms`. */
  pause(ms: number): Promise<void>;
}

// Redis' own clock, so replicas with skewed clocks share one timeline. Returns ms to wait (0 = go).
const TAKE = `
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts', 'until')
local pausedUntil = tonumber(state[3]) or 0
if pausedUntil > now then return pausedUntil - now end
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 60000)
return wait
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'until')) or 0
if untilMs > current then redis.call('HSET', KEYS[1], 'until', untilMs) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) + 60000)
return 0
`;

export function createRedisTokenBucket(options: { redis: RedisClient; key: string; ratePerSecond: number; burst?: number }): RateLimiter {
  const { redis, key, ratePerSecond } = options;
  const burst = options.burst ?? Math.max(1, Math.ceil(ratePerSecond * 2));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    async take() {
      for (;;) {
        const wait = Number(await redis.eval(TAKE, 1, key, String(ratePerSecond), String(burst)));
        if (wait <= 0) return;
        // A little jitter so replicas that waited together do not all retry on the same tick.
        await sleep(Math.min(wait, 5_000) + Math.floor(Math.random() * 20));
      }
    },
    async pause(ms) {
      if (ms <= 0) return;
      await redis.eval(PAUSE, 1, key, String(Math.ceil(ms)));
    },
  };
}
