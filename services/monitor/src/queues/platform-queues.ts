import type { ConnectionOptions, Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import { createSyncQueue, type SyncJob } from '@ach/queue';

export interface PlatformQueue {
  platformId: number;
  /** The platform's slug (`platforms.code`): job payload, queue `sync-<slug>`. */
  platform: string;
  queue: Queue<SyncJob>;
}

export interface PlatformQueues {
  /** One queue per row of `platforms`, read on every call: a platform added later is watched without a restart. */
  list(): Promise<PlatformQueue[]>;
  close(): Promise<void>;
}

/**
 * The sync queues the monitor inspects and re-enqueues into. Which platforms exist is the database's
 * `platforms` table (what sync_logs.platform_id refers to), not a list compiled into the monitor.
 */
export function createPlatformQueues(deps: { db: Kysely<Database>; connection: ConnectionOptions; prefix: string }): PlatformQueues {
  const queues = new Map<string, Queue<SyncJob>>();
  return {
    async list() {
      const platforms = await deps.db.selectFrom('platforms').select(['id', 'code']).orderBy('id').execute();
      return platforms.map((p) => {
        let queue = queues.get(p.code);
        if (!queue) {
          queue = createSyncQueue(p.code, { connection: deps.connection, prefix: deps.prefix });
          // A Redis outage surfaces as failed calls; an unhandled 'error' event would crash the process.
          queue.on('error', () => {});
          queues.set(p.code, queue);
        }
        return { platformId: p.id, platform: p.code, queue };
      });
    },
    async close() {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
  };
}
