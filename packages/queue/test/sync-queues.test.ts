import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestRedis } from '@ach/testing';
import { createRedisConnection } from '../src/redis-connection.ts';
import { SYNC_JOB_OPTIONS } from '../src/sync-job.ts';
import { createSyncQueues, enqueueSync, enqueueSyncBulk } from '../src/sync-queues.ts';

const t = createTestRedis();
const connection = createRedisConnection(t.url, 'producer');
const queues = createSyncQueues(['psn', 'xbox', 'steam'], { connection, prefix: t.prefix });
afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.close()));
  connection.disconnect();
  await t.cleanup();
});

describe('enqueueSync / enqueueSyncBulk', () => {
  it('both give a job its sync id and the queue-wide retry and retention options', async () => {
    const one = { syncId: randomUUID(), userId: randomUUID(), platform: 'steam' as const, mode: 'incremental' as const };
    const many = [
      { syncId: randomUUID(), userId: randomUUID(), platform: 'steam' as const, mode: 'full' as const },
      { syncId: randomUUID(), userId: randomUUID(), platform: 'psn' as const, mode: 'incremental' as const },
    ];
    await enqueueSync(queues, one);
    await enqueueSyncBulk(queues, many);
    for (const job of [one, ...many]) {
      const stored = await queues[job.platform].getJob(job.syncId);
      expect(stored?.data).toEqual(job);
      expect(stored?.opts).toMatchObject({ attempts: SYNC_JOB_OPTIONS.attempts, backoff: SYNC_JOB_OPTIONS.backoff, removeOnFail: SYNC_JOB_OPTIONS.removeOnFail });
    }
  });
});
