import { Queue, type ConnectionOptions } from 'bullmq';
import type { Platform } from '@ach/db';
import { SYNC_JOB_NAME, syncQueueName } from './queue-names.ts';
import { SYNC_JOB_OPTIONS, syncJobSchema, type SyncJob } from './sync-job.ts';

/** One producer queue per platform slug; which slugs there are comes from the platform registry. */
export type SyncQueues = Readonly<Record<Platform, Queue<SyncJob>>>;

export function createSyncQueue(platform: Platform, options: { connection: ConnectionOptions; prefix: string }): Queue<SyncJob> {
  return new Queue<SyncJob>(syncQueueName(platform), {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: SYNC_JOB_OPTIONS,
  });
}

/** `platforms`: the registry's slugs (`registry.slugs`); a literal list types the result by name. */
export function createSyncQueues<const P extends Platform>(
  platforms: readonly P[],
  options: { connection: ConnectionOptions; prefix: string },
): Readonly<Record<P, Queue<SyncJob>>> {
  return Object.fromEntries(platforms.map((p) => [p, createSyncQueue(p, options)])) as Record<P, Queue<SyncJob>>;
}

/** The queue of a platform; a slug without one is a programming error (callers validate slugs against the registry first). */
export function syncQueueFor(queues: SyncQueues, platform: Platform): Queue<SyncJob> {
  const queue = Object.hasOwn(queues, platform) ? queues[platform] : undefined;
  if (!queue) throw new Error(`no sync queue for platform ${platform}`);
  return queue;
}

/** Job id = sync id: adding the same sync twice is a no-op in BullMQ, so a retried request cannot double-run. */
export async function enqueueSync(queues: SyncQueues, job: SyncJob): Promise<void> {
  const payload = syncJobSchema.parse(job);
  await syncQueueFor(queues, payload.platform).add(SYNC_JOB_NAME, payload, { jobId: payload.syncId });
}

/**
 * Many syncs, one Redis round trip per platform queue (`addBulk` is a single MULTI, so a queue's
 * jobs go in together or not at all). Job id = sync id, as in `enqueueSync`; the queue's
 * defaultJobOptions (SYNC_JOB_OPTIONS) apply, as they do to `add`. Rejects with the
 * platforms whose jobs could not be added, so a caller can fail exactly those runs.
 */
export async function enqueueSyncBulk(queues: SyncQueues, jobs: readonly SyncJob[]): Promise<void> {
  const byPlatform = new Map<Platform, SyncJob[]>();
  for (const job of jobs) {
    const payload = syncJobSchema.parse(job);
    const list = byPlatform.get(payload.platform);
    if (list) list.push(payload);
    else byPlatform.set(payload.platform, [payload]);
  }
  const results = await Promise.allSettled(
    [...byPlatform].map(async ([platform, list]) =>
      syncQueueFor(queues, platform).addBulk(list.map((data) => ({ name: SYNC_JOB_NAME, data, opts: { jobId: data.syncId } }))),
    ),
  );
  const failed = [...byPlatform.keys()].filter((_, i) => results[i]!.status === 'rejected');
  if (failed.length > 0) {
    const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    throw new SyncEnqueueError(failed, first.reason);
  }
}

export class SyncEnqueueError extends Error {
  readonly platforms: Platform[];
  constructor(platforms: Platform[], cause: unknown) {
    super(`could not enqueue sync jobs for ${platforms.join(', ')}`, { cause });
    this.name = 'SyncEnqueueError';
    this.platforms = platforms;
  }
}
