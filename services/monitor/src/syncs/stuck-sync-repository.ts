import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';

/**
 * The stuck-sync sweep's statements on `sync_logs`. They belong with the run's other transitions in
 * @ach/sync-runs (which owns sync_logs); they live here until they move there. Every UPDATE repeats
 * the "still live and still quiet" condition, so a worker that picks the run up meanwhile wins.
 */

export interface StuckRun {
  id: string;
  userId: string;
  platformId: number;
  /** `platforms.code`: the job payload's platform and the queue `sync-<code>`. */
  platform: string;
  mode: 'incremental' | 'full';
  status: 'queued' | 'running';
  updatedAt: Date;
  /** How often the monitor re-enqueued this run already (sync_logs.stats.requeued_by_monitor). */
  requeues: number;
}

export interface StuckSyncRepository {
  /** Runs queued or running whose row has not changed for `quietMs` (progress updates touch updated_at), oldest first. */
  findQuiet(quietMs: number, limit: number): Promise<StuckRun[]>;
  /** Back to `queued`, counting the re-enqueue; false when the run moved on meanwhile. */
  markRequeued(syncId: string, quietMs: number): Promise<boolean>;
  /** Closes the run as failed with a message a user may see, mirrored on the account it drives; undefined when it moved on meanwhile. */
  closeAsFailed(syncId: string, quietMs: number, failure: { code: string; message: string; reason: Record<string, unknown> }): Promise<{ userId: string } | undefined>;
}

const quietSince = (quietMs: number) => sql`now() - make_interval(secs => ${quietMs / 1000}::double precision)`;

export function createStuckSyncRepository(db: Kysely<Database>): StuckSyncRepository {
  return {
    async findQuiet(quietMs, limit) {
      // sync_logs_live_updated_idx (status, updated_at) where status in ('queued', 'running')
      const { rows } = await sql<{
        id: string; user_id: string; platform_id: number; code: string; mode: 'incremental' | 'full';
        status: 'queued' | 'running'; updated_at: Date; requeues: number;
      }>`
        select s.id, s.user_id, s.platform_id, p.code, s.mode, s.status, s.updated_at,
               coalesce((s.stats ->> 'requeued_by_monitor')::integer, 0) as requeues
          from public.sync_logs s join public.platforms p on p.id = s.platform_id
         where s.status in ('queued', 'running') and s.updated_at < ${quietSince(quietMs)}
         order by s.updated_at, s.id
         limit ${limit}
      `.execute(db);
      return rows.map((r) => ({
        id: r.id, userId: r.user_id, platformId: r.platform_id, platform: r.code, mode: r.mode, status: r.status,
        updatedAt: r.updated_at, requeues: r.requeues,
      }));
    },

    async markRequeued(syncId, quietMs) {
      const result = await sql`
        update public.sync_logs
           set status = 'queued',
               stats = stats || jsonb_build_object('requeued_by_monitor', coalesce((stats ->> 'requeued_by_monitor')::integer, 0) + 1,
                                                   'requeued_at', now())
         where id = ${syncId} and status in ('queued', 'running') and updated_at < ${quietSince(quietMs)}
      `.execute(db);
      return Number(result.numAffectedRows ?? 0) > 0;
    },

    async closeAsFailed(syncId, quietMs, failure) {
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ user_id: string; platform_id: number }>`
          update public.sync_logs
             set status = 'failed', finished_at = now(), error_code = ${failure.code}, error_message = ${failure.message},
                 stats = stats || jsonb_build_object('closed_by_monitor', ${JSON.stringify(failure.reason)}::jsonb)
           where id = ${syncId} and status in ('queued', 'running') and updated_at < ${quietSince(quietMs)}
          returning user_id, platform_id
        `.execute(trx);
        const closed = rows[0];
        if (!closed) return undefined;
        // Same mirror as a worker's final failure: only the account row this run drives.
        await sql`
          update public.platform_accounts
             set sync_status = 'failed', last_error_code = ${failure.code}
           where user_id = ${closed.user_id} and platform_id = ${closed.platform_id} and last_sync_id = ${syncId}
        `.execute(trx);
        return { userId: closed.user_id };
      });
    },
  };
}
