import { Queue, type ConnectionOptions } from 'bullmq';
import { PLATFORMS, type Platform } from '@ach/db';
import { SYNC_JOB_NAME, SYNC_QUEUE_NAMES } from './queue-names.ts';
import { SYNC_JOB_OPTIONS, syncJobSchema, type SyncJob } from './sync-job.ts';

export type SyncQueues = Record<Platform, Queue<SyncJob>>;

export function createSyncQueue(platform: Platform, options: { connection: ConnectionOptions; prefix: string }): Queue<SyncJob> {
  return new Queue<SyncJob>(SYNC_QUEUE_NAMES[platform], {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: SYNC_JOB_OPTIONS,
  });
}

export function createSyncQueues(options: { connection: ConnectionOptions; prefix: string }): SyncQueues {
  return Object.fromEntries(PLATFORMS.map((p) => [p, createSyncQueue(p, options)])) as SyncQueues;
}

/** Job id = sync id: adding the same sync twice is a no-op in BullMQ, so a retried request cannot double-run. */
export async function enqueueSync(queues: SyncQueues, job: SyncJob): Promise<void> {
  const payload = syncJobSchema.parse(job);
  await queues[payload.platform].add(SYNC_JOB_NAME, payload, { jobId: payload.syncId });
}
