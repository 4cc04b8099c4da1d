import { createLogger } from '@ach/observability';
import { createRedisConnection, type RedisClient } from '@ach/queue';
import type { TestDatabase, TestRedis } from '@ach/testing';
import { createPlatformQueues, type PlatformQueues } from '../../src/queues/platform-queues.ts';
import type { QualityRunDeps, QualitySettings } from '../../src/quality/run-quality-check.ts';

export const quietLog = createLogger({ name: 'monitor-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface QualityHarness {
  deps: QualityRunDeps;
  redis: RedisClient;
  queues: PlatformQueues;
  close(): Promise<void>;
}

/** What runQualityCheck needs, on a test's own database and queue prefix. */
export function qualityHarness(t: TestDatabase, r: TestRedis, settings: Partial<QualitySettings> = {}, extra: Partial<QualityRunDeps> = {}): QualityHarness {
  const redis = createRedisConnection(r.url, 'worker');
  const queues = createPlatformQueues({ db: t.db, connection: redis, prefix: r.prefix });
  return {
    redis,
    queues,
    deps: {
      db: t.db,
      databaseUrl: t.url,
      log: quietLog,
      queues,
      settings: { autoBackfill: true, stuckSyncAfterMs: 30 * 60_000, queueMaxWaitMs: 15 * 60_000, ...settings },
      ...extra,
    },
    async close() {
      await queues.close();
      redis.disconnect();
    },
  };
}
