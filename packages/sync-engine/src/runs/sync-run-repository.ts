import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import { PLATFORM_IDS, type Database, type Platform, type SyncStatus } from '@ach/db';
import { publishSyncEvent } from '@ach/queue';
import type { Logger } from '@ach/observability';

export interface SyncRunKey {
  syncId: string;
  userId: string;
  platform: Platform;
}

export type StartOutcome =
  | { state: 'started'; attempts: number; mode: 'incremental' | 'full' }
  /** The run already finished (a duplicate delivery or a rerun after the final write): nothing to do. */
  | { state: 'terminal'; status: SyncStatus }
  | { state: 'missing' };

export interface SyncRunRepository {
  start(run: SyncRunKey): Promise<StartOutcome>;
  progress(run: SyncRunKey, progress: number): Promise<void>;
  succeed(run: SyncRunKey, stats: Record<string, unknown>): Promise<void>;
  /** Final failure: no more attempts. `needsAttention` flags the account for the user (private, revoked). */
  fail(run: SyncRunKey, failure: { code: string; message: string; needsAttention: boolean; stats?: Record<string, unknown> }): Promise<void>;
  /** The attempt failed but the job will run again (retry backoff or a rate-limit delay): the run stays live. */
  interrupted(run: SyncRunKey, failure: { code: string; message: string }): Promise<void>;
}

/**
 * The run's state machine on `sync_logs` (queued → running → succeeded/failed) mirrored onto
 * `platform_accounts`, and every change told to live listeners. Guards in the WHERE clauses make
 * each transition idempotent: a terminal run is never reopened, and an account row is only touched
 * by the run it currently points at.
 */
export function createSyncRunRepository(deps: { db: Kysely<Database>; redis?: Redis; queuePrefix: string; log: Logger }): SyncRunRepository {
  const { db } = deps;

  async function publish(run: SyncRunKey, status: SyncStatus, progress: number, extra: { stats?: Record<string, unknown>; errorCode?: string | null; errorMessage?: string | null } = {}) {
    if (!deps.redis) return;
    try {
      await publishSyncEvent(deps.redis, deps.queuePrefix, {
        syncId: run.syncId,
        userId: run.userId,
        platform: run.platform,
        status,
        progress,
        ...extra,
        at: new Date().toISOString(),
      });
    } catch (error) {
      // Live events are a courtesy; the database row is the truth.
      deps.log.warn({ err: error, syncId: run.syncId }, 'could not publish sync event');
    }
  }

  return {
    async start(run) {
      const platformId = PLATFORM_IDS[run.platform];
      const started = await sql<{ attempts: number; mode: 'incremental' | 'full' }>`
        update sync_logs
           set status = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1,
               error_code = null, error_message = null
         where id = ${run.syncId} and user_id = ${run.userId} and platform_id = ${platformId}
           and status in ('queued', 'running')
        returning attempts, mode
      `.execute(db);
      const row = started.rows[0];
      if (!row) {
        const existing = await db
          .selectFrom('sync_logs')
          .select('status')
          .where('id', '=', run.syncId)
          .where('user_id', '=', run.userId)
          .where('platform_id', '=', platformId)
          .executeTakeFirst();
        return existing ? { state: 'terminal', status: existing.status } : { state: 'missing' };
      }
      await sql`
        update platform_accounts
           set sync_status = 'running', sync_progress = 0, last_sync_id = ${run.syncId}
         where user_id = ${run.userId} and platform_id = ${platformId}
           and (sync_status, sync_progress, last_sync_id) is distinct from ('running', 0, ${run.syncId}::uuid)
      `.execute(db);
      await publish(run, 'running', 0);
      return { state: 'started', attempts: row.attempts, mode: row.mode };
    },

    async progress(run, progress) {
      const platformId = PLATFORM_IDS[run.platform];
      await sql`
        with log as (
          update sync_logs set progress = ${progress} where id = ${run.syncId} and status = 'running' and progress < ${progress}
          returning id
        )
        update platform_accounts set sync_progress = ${progress}
         where user_id = ${run.userId} and platform_id = ${platformId} and last_sync_id = ${run.syncId}
           and exists (select 1 from log)
      `.execute(db);
      await publish(run, 'running', progress);
    },

    async succeed(run, stats) {
      const platformId = PLATFORM_IDS[run.platform];
      await db.transaction().execute(async (trx) => {
        await sql`
          update sync_logs
             set status = 'succeeded', progress = 100, stats = ${JSON.stringify(stats)}::jsonb, finished_at = now(),
                 error_code = null, error_message = null
           where id = ${run.syncId} and status in ('queued', 'running')
        `.execute(trx);
        await sql`
          update platform_accounts
             set sync_status = 'succeeded', sync_progress = 100, last_synced_at = now(), last_error_code = null, needs_attention = false
           where user_id = ${run.userId} and platform_id = ${platformId} and last_sync_id = ${run.syncId}
        `.execute(trx);
      });
      await publish(run, 'succeeded', 100, { stats });
    },

    async fail(run, failure) {
      const platformId = PLATFORM_IDS[run.platform];
      const message = failure.message.slice(0, 2_000);
      await db.transaction().execute(async (trx) => {
        await sql`
          update sync_logs
             set status = 'failed', finished_at = now(), error_code = ${failure.code}, error_message = ${message},
                 stats = coalesce(${failure.stats ? JSON.stringify(failure.stats) : null}::jsonb, stats)
           where id = ${run.syncId} and status in ('queued', 'running')
        `.execute(trx);
        await sql`
          update platform_accounts
             set sync_status = 'failed', last_error_code = ${failure.code},
                 needs_attention = needs_attention or ${failure.needsAttention}
           where user_id = ${run.userId} and platform_id = ${platformId}
             and (last_sync_id = ${run.syncId} or last_sync_id is null)
        `.execute(trx);
      });
      await publish(run, 'failed', 0, { errorCode: failure.code, errorMessage: message, ...(failure.stats ? { stats: failure.stats } : {}) });
    },

    async interrupted(run, failure) {
      // Kept visible while the job waits, cleared by the next start or by success.
      await sql`
        update sync_logs set error_code = ${failure.code}, error_message = ${failure.message.slice(0, 2_000)}
         where id = ${run.syncId} and status = 'running'
      `.execute(db);
    },
  };
}

