import type { ClientContext, Result } from 'ioredis';
import type { RedisClient } from '@ach/queue';

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** KEYS[1] the user's slot set; ARGV stream id, max slots, hold ms. Replies [granted 0|1, ms until the oldest slot lapses]. */
    achAcquireStreamSlot(key: string, streamId: string, max: number, holdMs: number): Result<[number, number], Context>;
  }
}

/**
 * A sorted set per user: member = stream id, score = when the slot lapses by itself (Redis's own
 * clock, so replicas with skewed clocks agree). Lapsed slots are dropped before counting, so a
 * replica that died with streams open cannot hold a user's slots for longer than one lifetime.
 */
const ACQUIRE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) - now}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], newest[2])
return {1, 0}`;

/** A slot outlives its stream's lifetime by this much: the stream's own release may come a little late. */
const LAPSE_GRACE_MS = 30_000;
/** A slot usually frees long before its stream's lifetime ends (a client closes one): do not send clients away for 15 min. */
const MAX_RETRY_AFTER_S = 30;

export type SlotAnswer = { granted: true } | { granted: false; retryAfterSeconds: number };

export interface OpenStreamSlots {
  readonly maxPerUser: number;
  /** Takes one of the user's slots for `streamId`, unless all are taken. Rejects when Redis does. */
  acquire: (userId: string, streamId: string) => Promise<SlotAnswer>;
  /** Gives the slot back (a no-op for a stream that never got one). Never rejects. */
  release: (userId: string, streamId: string) => Promise<void>;
}

/**
 * Open SSE streams per user, counted in Redis so the cap holds across every API replica. Every
 * stream ends after `streamLifetimeMs` at the latest, which is what bounds a slot's life.
 */
export function createOpenStreamSlots(redis: RedisClient, options: { prefix: string; maxPerUser: number; streamLifetimeMs: number }): OpenStreamSlots {
  if (typeof redis.achAcquireStreamSlot !== 'function') redis.defineCommand('achAcquireStreamSlot', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
  const key = (userId: string) => `${options.prefix}:sse-streams:${userId}`;
  const holdMs = options.streamLifetimeMs + LAPSE_GRACE_MS;

  return {
    maxPerUser: options.maxPerUser,
    async acquire(userId, streamId) {
      const [granted, oldestLapsesInMs] = await redis.achAcquireStreamSlot(key(userId), streamId, options.maxPerUser, holdMs);
      if (granted === 1) return { granted: true };
      // The oldest stream ends by itself one grace period before its slot lapses; usually sooner.
      const oldestEndsInS = Math.ceil((oldestLapsesInMs - LAPSE_GRACE_MS) / 1000);
      return { granted: false, retryAfterSeconds: Math.min(MAX_RETRY_AFTER_S, Math.max(1, oldestEndsInS)) };
    },
    async release(userId, streamId) {
      // Redis away: the slot lapses by itself.
      await redis.zrem(key(userId), streamId).catch(() => {});
    },
  };
}
