import type { Redis } from 'ioredis';
import { sql, type Kysely, type Selectable } from 'kysely';
import { createPlatformAccountRepository, mirrorRunProgress, ownershipClaimedByOther } from '@ach/accounts';
import type { Database, Platform, PlatformId, SyncLogsTable, SyncMode, SyncStatus } from '@ach/db';
import type { Logger } from '@ach/observability';
import { publishSyncEvent } from '@ach/queue';

/** What a client may see of a run (status route, history, SSE). */
export const SYNC_RUN_COLUMNS = [
  'id', 'platform_id', 'mode', 'status', 'progress', 'stats', 'error_code', 'error_message', 'created_at', 'started_at', 'finished_at', 'updated_at',
] as const satisfies readonly (keyof SyncLogsTable)[];
export type SyncRunRow = Pick<Selectable<SyncLogsTable>, (typeof SYNC_RUN_COLUMNS)[number]>;
const syncRunColumns = sql.join(SYNC_RUN_COLUMNS.map((c) => sql.ref(c)));

/** A history page position: (created_at as Postgres prints it — microseconds survive, a JS Date would drop them; id). */
export type SyncRunPosition = readonly [createdAt: string, id: string];

/** The accept INSERT's answer for one request. */
export interface QueuedRunStart {
  /** The user has a link for the platform. */
  linked: boolean;
  /** … but another user proved they own that account: no run. */
  claimed: boolean;
  /** The run created; null when a live run already exists (or not linked / claimed). */
  id: string | null;
  status: SyncStatus | null;
}

export interface QueuedRunInput {
  userId: string;
  platformId: PlatformId;
  mode: SyncMode;
}

export type CreatedRunRow = Pick<Selectable<SyncLogsTable>, 'id' | 'user_id' | 'platform_id'>;
export type LiveRunRow = Pick<Selectable<SyncLogsTable>, 'id' | 'status' | 'mode'>;

export interface SyncRunKey {
  syncId: string;
  userId: string;
  /** The slug live listeners hear. */
  platform: Platform;
  platformId: PlatformId;
}

export type StartOutcome =
  | { state: 'started'; attempts: number; mode: SyncMode }
  /** The run already finished (a duplicate delivery or a rerun after the final write): nothing to do. */
  | { state: 'terminal'; status: SyncStatus }
  | { state: 'missing' };

export interface SyncRunRepository {
  /**
   * One round trip for the common case: checks the account is linked (and not claimed by its
   * verified owner) and inserts the queued run in the same statement. The partial unique index
   * `sync_logs_one_live_run_idx` referees concurrent requests; a loser gets no id back and reads the
   * winner's run with `findLive` (a new snapshot — this one may predate the winner's commit).
   */
  createQueued(input: QueuedRunInput): Promise<QueuedRunStart>;
  /**
   * The same for many requests in one autocommit statement (distinct user + platform pairs). Rows
   * go in key order so that two batches racing for the same keys cannot deadlock on the partial
   * unique index; conflicting, unlinked and claimed requests get no row back.
   */
  createQueuedBatch(inputs: readonly QueuedRunInput[]): Promise<CreatedRunRow[]>;
  findLive(userId: string, platformId: PlatformId): Promise<LiveRunRow | undefined>;
  /** Fails runs that were created but could not be enqueued; only while still `queued` (a worker may have one). */
  failUnenqueued(syncIds: readonly string[]): Promise<void>;
  /** The account was unlinked: a queued run would only fail on the missing account; a running one finishes or fails by itself. */
  cancelQueuedOfUnlinked(userId: string, platformId: PlatformId): Promise<void>;

  /** A user's newest run on one platform. */
  latest(userId: string, platformId: PlatformId): Promise<SyncRunRow | undefined>;
  /** A user's runs, newest first, `limit` after `after`; `next` positions the following page (null on the last). */
  history(query: { userId: string; platformId?: PlatformId; after?: SyncRunPosition; limit: number }): Promise<{ items: SyncRunRow[]; next: SyncRunPosition | null }>;
  /** One of a user's runs (another user's is undefined). */
  byId(userId: string, syncId: string): Promise<SyncRunRow | undefined>;

  /** A worker took the job: queued (or an interrupted running) → running, `attempts + 1`. */
  start(run: SyncRunKey): Promise<StartOutcome>;
  progress(run: SyncRunKey, progress: number): Promise<void>;
  succeed(run: SyncRunKey, stats: Record<string, unknown>): Promise<void>;
  /** Final failure: no more attempts. `needsAttention` flags the account for the user (private, revoked). */
  fail(run: SyncRunKey, failure: { code: string; message: string; needsAttention: boolean; stats?: Record<string, unknown> }): Promise<void>;
  /** The attempt failed but the job will run again (retry backoff or a rate-limit delay): the run stays live. */
  interrupted(run: SyncRunKey, failure: { code: string; message: string }): Promise<void>;
}

export interface SyncRunRepositoryDeps {
  /** May be a transaction (the reads and accept statements; the transitions open their own). */
  db: Kysely<Database>;
  /** Where live listeners (SSE) hear of each transition; without it nothing is published. */
  redis?: Redis;
  queuePrefix?: string;
  log?: Logger;
}

/**
 * Every statement on `sync_logs`: the accept INSERTs, the reads, and the run's state machine
 * (queued → running → succeeded/failed) mirrored onto `platform_accounts` (through the account
 * repository, in the same transaction or statement) with every change told to live listeners.
 * Guards in the WHERE clauses make each transition idempotent: a terminal run is never reopened,
 * and an account row is only touched by the run it currently points at.
 */
export function createSyncRunRepository(deps: SyncRunRepositoryDeps): SyncRunRepository {
  const { db } = deps;
  const accountRun = ({ syncId, userId, platformId }: SyncRunKey) => ({ syncId, userId, platformId });

  async function publish(run: SyncRunKey, status: SyncStatus, progress: number, extra: { stats?: Record<string, unknown>; errorCode?: string | null; errorMessage?: string | null } = {}) {
    if (!deps.redis || deps.queuePrefix === undefined) return;
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
      deps.log?.warn({ err: error, syncId: run.syncId }, 'could not publish sync event');
    }
  }

  return {
    async createQueued({ userId, platformId, mode }) {
      const { rows } = await sql<QueuedRunStart>`
        with account as (
          select ${ownershipClaimedByOther('pa')} as claimed
            from platform_accounts pa where pa.user_id = ${userId}::uuid and pa.platform_id = ${platformId}::smallint
        ), linked as (
          select exists (select 1 from account) as ok, coalesce((select claimed from account), false) as claimed
        ), inserted as (
          insert into sync_logs (user_id, platform_id, mode)
          select ${userId}::uuid, ${platformId}::smallint, ${mode} from linked where ok and not claimed
          on conflict (user_id, platform_id) where status in ('queued', 'running') do nothing
          returning id, status
        )
        select linked.ok as linked, linked.claimed, inserted.id, inserted.status from linked left join inserted on true`.execute(db);
      return rows[0]!;
    },

    async createQueuedBatch(inputs) {
      const { rows } = await sql<CreatedRunRow>`
        insert into sync_logs (user_id, platform_id, mode)
        select r.user_id, r.platform_id, r.mode
          from unnest(${inputs.map((i) => i.userId)}::uuid[], ${inputs.map((i) => i.platformId)}::smallint[], ${inputs.map((i) => i.mode)}::text[])
               as r(user_id, platform_id, mode)
          join platform_accounts pa on pa.user_id = r.user_id and pa.platform_id = r.platform_id
         where not ${ownershipClaimedByOther('pa')}
         order by r.user_id, r.platform_id
        on conflict (user_id, platform_id) where status in ('queued', 'running') do nothing
        returning id, user_id, platform_id`.execute(db);
      return rows;
    },

    async findLive(userId, platformId) {
      const { rows } = await sql<LiveRunRow>`
        select id, status, mode from sync_logs
         where user_id = ${userId}::uuid and platform_id = ${platformId}::smallint and status in ('queued', 'running')`.execute(db);
      return rows[0];
    },

    async failUnenqueued(syncIds) {
      await sql`
        update sync_logs set status = 'failed', error_code = 'queue_unavailable',
               error_message = 'the job could not be enqueued', finished_at = now()
         where id = any(${syncIds}::uuid[]) and status = 'queued'`.execute(db);
    },

    async cancelQueuedOfUnlinked(userId, platformId) {
      await sql`
        update sync_logs set status = 'cancelled', error_code = 'account_unlinked', finished_at = now()
         where user_id = ${userId}::uuid and platform_id = ${platformId}::smallint and status = 'queued'`.execute(db);
    },

    async latest(userId, platformId) {
      const { rows } = await sql<SyncRunRow>`
        select ${syncRunColumns} from sync_logs
         where user_id = ${userId}::uuid and platform_id = ${platformId}::smallint
         order by created_at desc, id desc limit 1`.execute(db);
      return rows[0];
    },

    async history({ userId, platformId, after, limit }) {
      const { rows } = await sql<SyncRunRow & { created_at_text: string }>`
        select ${syncRunColumns}, created_at::text as created_at_text from sync_logs
         where user_id = ${userId}::uuid
           ${platformId !== undefined ? sql`and platform_id = ${platformId}::smallint` : sql``}
           ${after ? sql`and (created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
         order by created_at desc, id desc
         limit ${limit + 1}`.execute(db);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(({ created_at_text: _position, ...row }) => row),
        next: rows.length > limit && last ? [last.created_at_text, last.id] : null,
      };
    },

    async byId(userId, syncId) {
      const { rows } = await sql<SyncRunRow>`
        select ${syncRunColumns} from sync_logs where id = ${syncId}::uuid and user_id = ${userId}::uuid`.execute(db);
      return rows[0];
    },

    async start(run) {
      const { platformId } = run;
      const started = await sql<{ attempts: number; mode: SyncMode }>`
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
      await createPlatformAccountRepository(db).mirrorRunStarted(accountRun(run));
      await publish(run, 'running', 0);
      return { state: 'started', attempts: row.attempts, mode: row.mode };
    },

    async progress(run, progress) {
      // One statement for both tables: the account row follows only when the run's row moved.
      await sql`
        with log as (
          update sync_logs set progress = ${progress} where id = ${run.syncId} and status = 'running' and progress < ${progress}
          returning id
        )
        ${mirrorRunProgress(accountRun(run), progress, sql`exists (select 1 from log)`)}
      `.execute(db);
      await publish(run, 'running', progress);
    },

    async succeed(run, stats) {
      await db.transaction().execute(async (trx) => {
        await sql`
          update sync_logs
             set status = 'succeeded', progress = 100, stats = ${JSON.stringify(stats)}::jsonb, finished_at = now(),
                 error_code = null, error_message = null
           where id = ${run.syncId} and status in ('queued', 'running')
        `.execute(trx);
        await createPlatformAccountRepository(trx).mirrorRunSucceeded(accountRun(run));
      });
      await publish(run, 'succeeded', 100, { stats });
    },

    async fail(run, failure) {
      const message = failure.message.slice(0, 2_000);
      await db.transaction().execute(async (trx) => {
        await sql`
          update sync_logs
             set status = 'failed', finished_at = now(), error_code = ${failure.code}, error_message = ${message},
                 stats = coalesce(${failure.stats ? JSON.stringify(failure.stats) : null}::jsonb, stats)
           where id = ${run.syncId} and status in ('queued', 'running')
        `.execute(trx);
        await createPlatformAccountRepository(trx).mirrorRunFailed(accountRun(run), { code: failure.code, needsAttention: failure.needsAttention });
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
