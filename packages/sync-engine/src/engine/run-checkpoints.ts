import type { RedisClient } from '@ach/queue';
import type { Logger } from '@ach/observability';

/**
 * Which titles an earlier attempt of the SAME run already wrote, so a rerun (worker killed, budget
 * spent and the job delayed, a retry) fetches only the rest. Incremental runs need none of this — the
 * stored change markers say it — but a full run refetches every title by definition, and without it a
 * long PSN first sync that is delayed every time its budget is spent would start over each time and
 * never end. Only an optimisation: a lost checkpoint means titles fetched again, never a wrong row.
 */
export interface RunCheckpoints {
  /** Titles committed by earlier attempts of this run (empty when none, or when the store fails). */
  written(syncId: string): Promise<Set<string>>;
  /** Titles just committed (called after their transaction, so a listed title is always in the database). */
  add(syncId: string, gameIds: readonly string[]): Promise<void>;
  /** The run is over. */
  clear(syncId: string): Promise<void>;
}

/** A Redis set per run, expiring a while after its last write (a run is closed long before). */
export function createRedisRunCheckpoints(options: { redis: RedisClient; prefix: string; log: Logger; ttlMs?: number }): RunCheckpoints {
  const { redis, log } = options;
  const ttlMs = options.ttlMs ?? 3 * 24 * 3600 * 1000;
  const key = (syncId: string) => `${options.prefix}:sync-run-written:${syncId}`;
  return {
    async written(syncId) {
      try {
        return new Set(await redis.smembers(key(syncId)));
      } catch (error) {
        log.warn({ err: error, syncId }, 'run checkpoints unreadable; every title is fetched');
        return new Set();
      }
    },
    async add(syncId, gameIds) {
      if (gameIds.length === 0) return;
      try {
        await redis.multi().sadd(key(syncId), ...gameIds).pexpire(key(syncId), ttlMs).exec();
      } catch (error) {
        log.warn({ err: error, syncId }, 'run checkpoint not stored; a rerun fetches these titles again');
      }
    },
    async clear(syncId) {
      await redis.del(key(syncId)).catch(() => undefined);
    },
  };
}
