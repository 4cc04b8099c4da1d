import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@ach/queue';
import { RateBudgetSpentError } from './rate-budget-spent-error.ts';

/** At most `max` calls in any `windowMs` span. */
export interface RateWindow {
  max: number;
  windowMs: number;
}

export type TakeOutcome = { granted: true } | { granted: false; waitMs: number };

/**
 * Call budgets per key (a PSN account, an Xbox user + title …) with one or more windows at once, shared
 * by every worker replica through Redis. A sliding log, not a fixed window: any span of `windowMs`
 * holds at most `max` granted calls, whichever replica took them, so N workers together can never
 * exceed the budget — not even across a window boundary, where a fixed window would allow 2×max.
 */
export interface WindowLimiter {
  readonly windows: readonly RateWindow[];
  /** Takes a slot in every window of `key` at once, or takes nothing and says how long until one frees. */
  tryTake(key: string): Promise<TakeOutcome>;
  /**
   * Resolves once a slot is taken, waiting in between. A wait longer than `maxWaitMs` is not waited
   * here: it throws `RateBudgetSpentError`, and the runner delays the job by that long (not an attempt).
   */
  take(key: string): Promise<void>;
  /** The platform itself said "wait" (a 429): no slot for `key` on any replica until `ms` from now. */
  block(key: string, ms: number): Promise<void>;
}

// KEYS[1] the log (sorted set of grants, score = Redis time in ms), KEYS[2] the block-until key.
// ARGV: member id, window count, then max₁, windowMs₁, max₂, windowMs₂, …
// Redis' own clock, so replicas with skewed clocks share one timeline. Returns 0 (granted) or ms to wait.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blockedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if blockedUntil > now then return blockedUntil - now end
local n = tonumber(ARGV[2])
local wait = 0
local longest = 0
for i = 0, n - 1 do
  local max = tonumber(ARGV[3 + i * 2])
  local window = tonumber(ARGV[4 + i * 2])
  if window > longest then longest = window end
  local since = '(' .. (now - window)
  local count = redis.call('ZCOUNT', KEYS[1], since, '+inf')
  if count >= max then
    -- The grant whose expiry brings this window back under max: the (count - max + 1)-th oldest in it.
    local entry = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', count - max, 1)
    local freeAt = tonumber(entry[2]) + window
    if freeAt - now > wait then wait = freeAt - now end
  end
end
if wait > 0 then return wait end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], longest + 60000)
return 0
`;

const BLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 60000) end
return 0
`;

export interface WindowLimiterOptions {
  redis: RedisClient;
  /** Key namespace, e.g. `${QUEUE_PREFIX}:rate-limit:psn` (a `{hashtag}` prefix keeps a key's log and block in one cluster slot). */
  prefix: string;
  windows: readonly RateWindow[];
  /** Longest wait `take` sits out itself (default 30 s); beyond it the job is delayed instead, freeing its worker slot. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_MAX_INLINE_WAIT_MS = 30_000;

export function createRedisWindowLimiter(options: WindowLimiterOptions): WindowLimiter {
  const { redis, prefix } = options;
  const windows = options.windows.map((w) => ({ max: Math.floor(w.max), windowMs: Math.ceil(w.windowMs) }));
  if (windows.length === 0) throw new Error('a window limiter needs at least one window');
  for (const w of windows) if (!(w.max >= 1 && w.windowMs >= 1)) throw new Error(`invalid rate window ${JSON.stringify(w)}`);
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_INLINE_WAIT_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const windowArgs = windows.flatMap((w) => [String(w.max), String(w.windowMs)]);
  const logKey = (key: string) => `${prefix}:${key}`;
  const blockKey = (key: string) => `${prefix}:${key}:block`;

  const limiter: WindowLimiter = {
    windows,
    async tryTake(key) {
      const member = `${Date.now()}-${randomBytes(6).toString('hex')}`;
      const waitMs = Number(await redis.eval(TAKE, 2, logKey(key), blockKey(key), member, String(windows.length), ...windowArgs));
      return waitMs <= 0 ? { granted: true } : { granted: false, waitMs };
    },
    async take(key) {
      for (;;) {
        const outcome = await limiter.tryTake(key);
        if (outcome.granted) return;
        if (outcome.waitMs > maxWaitMs) throw new RateBudgetSpentError(outcome.waitMs);
        // A little jitter so replicas that waited together do not all ask again on the same tick.
        await sleep(outcome.waitMs + Math.floor(Math.random() * 25));
      }
    },
    async block(key, ms) {
      if (!(ms > 0)) return;
      await redis.eval(BLOCK, 1, blockKey(key), String(Math.ceil(ms)));
    },
  };
  return limiter;
}
