import type { RedisClient } from '@ach/queue';
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

const quietSince = (quietMs: number) => sql`now() - make_interval(secs => ${quietMs / 1000}::double precision)`;

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

/** A live run (queued or running) whose row has not changed for a while: a candidate of the stuck-run sweep. */
export interface QuietRun {
  id: string;
  userId: string;
  platformId: PlatformId;
  /** `platforms.code`: the job payload's platform and the queue `sync-<code>`. */
  platform: Platform;
  mode: SyncMode;
  status: 'queued' | 'running';
  updatedAt: Date;
  /** How often the sweep re-enqueued this run already (`stats.requeued_by_monitor`). */
  requeues: number;
}

/** Runs by platform and status: those that finished in a window, and those live now. */
export interface RunOutcomeCount {
  platform: Platform;
  status: SyncStatus;
  runs: number;
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

  /**
   * When the newest succeeded run of a user on one platform first started (`started_at`, kept across
   * its attempts); null when none succeeded. Everything that run listed was stored as of that instant
   * or later: a sync that stops paging early relies on it (an interrupted run vouches for nothing).
   */
  lastSucceededStartedAt(userId: string, platformId: PlatformId): Promise<Date | null>;
  /** A worker took the job: queued (or an interrupted running) → running, `attempts + 1`. */
  start(run: SyncRunKey): Promise<StartOutcome>;
  progress(run: SyncRunKey, progress: number): Promise<void>;
  succeed(run: SyncRunKey, stats: Record<string, unknown>): Promise<void>;
  /** Final failure: no more attempts. `needsAttention` flags the account for the user (private, revoked). */
  fail(run: SyncRunKey, failure: { code: string; message: string; needsAttention: boolean; stats?: Record<string, unknown> }): Promise<void>;
  /** The attempt failed but the job will run again (retry backoff or a rate-limit delay): the run stays live. */
  interrupted(run: SyncRunKey, failure: { code: string; message: string }): Promise<void>;

  /**
   * The stuck-run sweep (services/monitor): live runs whose row has not changed for `quietMs`
   * (progress updates touch updated_at), oldest first. The two transitions below repeat the "still
   * live and still quiet" condition, so a worker that picks the run up meanwhile wins.
   */
  findQuiet(quietMs: number, limit: number): Promise<QuietRun[]>;
  /** Back to `queued`, counting the re-enqueue in `stats`; false when the run moved on meanwhile. */
  markRequeued(syncId: string, quietMs: number): Promise<boolean>;
  /**
   * Closes a still-quiet run as failed with a message a user may see (`reason` kept in
   * `stats.closed_by_monitor`), mirrored on the account like a worker's final failure and told to
   * live listeners; undefined when the run moved on meanwhile.
   */
  closeQuiet(syncId: string, quietMs: number, failure: { code: string; message: string; reason: Record<string, unknown> }): Promise<SyncRunKey | undefined>;

  /** Runs per platform and status that finished within the last `windowMs`, plus every live (queued/running) run. */
  outcomeCounts(windowMs: number): Promise<RunOutcomeCount[]>;
}

export interface SyncRunRepositoryDeps {
  /** May be a transaction (the reads and accept statements; the transitions open their own). */
  db: Kysely<Database>;
  /** Where live listeners (SSE) hear of each transition; without it nothing is published. */
  redis?: RedisClient;
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

    async lastSucceededStartedAt(userId, platformId) {
      const row = await db
        .selectFrom('sync_logs')
        .select('started_at')
        .where('user_id', '=', userId)
        .where('platform_id', '=', platformId)
        .where('status', '=', 'succeeded')
        .where('started_at', 'is not', null)
        .orderBy('started_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.started_at ?? null;
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

    async findQuiet(quietMs, limit) {
      // sync_logs_live_updated_idx (status, updated_at) where status in ('queued', 'running')
      const { rows } = await sql<{
        id: string; user_id: string; platform_id: number; code: string; mode: SyncMode;
        status: 'queued' | 'running'; updated_at: Date; requeues: number;
      }>`
        select s.id, s.user_id, s.platform_id, p.code, s.mode, s.status, s.updated_at,
               coalesce((s.stats ->> 'requeued_by_monitor')::integer, 0) as requeues
          from sync_logs s join platforms p on p.id = s.platform_id
         where s.status in ('queued', 'running') and s.updated_at < ${quietSince(quietMs)}
         order by s.updated_at, s.id
         limit ${limit}`.execute(db);
      return rows.map((r) => ({
        id: r.id, userId: r.user_id, platformId: r.platform_id, platform: r.code, mode: r.mode, status: r.status,
        updatedAt: r.updated_at, requeues: r.requeues,
      }));
    },

    async markRequeued(syncId, quietMs) {
      const result = await sql`
        update sync_logs
           set status = 'queued',
               stats = stats || jsonb_build_object('requeued_by_monitor', coalesce((stats ->> 'requeued_by_monitor')::integer, 0) + 1,
                                                   'requeued_at', now())
         where id = ${syncId} and status in ('queued', 'running') and updated_at < ${quietSince(quietMs)}`.execute(db);
      return Number(result.numAffectedRows ?? 0) > 0;
    },

    async closeQuiet(syncId, quietMs, failure) {
      const message = failure.message.slice(0, 2_000);
      const closed = await db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ user_id: string; platform_id: number; code: string }>`
          update sync_logs s
             set status = 'failed', finished_at = now(), error_code = ${failure.code}, error_message = ${message},
                 stats = s.stats || jsonb_build_object('closed_by_monitor', ${JSON.stringify(failure.reason)}::jsonb)
            from platforms p
           where s.id = ${syncId} and p.id = s.platform_id
             and s.status in ('queued', 'running') and s.updated_at < ${quietSince(quietMs)}
          returning s.user_id, s.platform_id, p.code`.execute(trx);
        const row = rows[0];
        if (!row) return undefined;
        const run: SyncRunKey = { syncId, userId: row.user_id, platformId: row.platform_id, platform: row.code };
        // The mirror of a worker's final failure; not the user's doing, so no needs_attention.
        await createPlatformAccountRepository(trx).mirrorRunFailed(accountRun(run), { code: failure.code, needsAttention: false });
        return run;
      });
      if (closed) await publish(closed, 'failed', 0, { errorCode: failure.code, errorMessage: message });
      return closed;
    },

    async outcomeCounts(windowMs) {
      // Two partial indexes: sync_logs_finished_at_idx and sync_logs_live_updated_idx.
      const { rows } = await sql<{ code: string; status: SyncStatus; runs: number }>`
        select p.code, c.status, c.runs
          from (select platform_id, status, count(*)::integer as runs from (
                  select platform_id, status from sync_logs
                   where finished_at >= now() - make_interval(secs => ${windowMs / 1000}::double precision)
                  union all
                  select platform_id, status from sync_logs where status in ('queued', 'running')) r
                 group by platform_id, status) c
          join platforms p on p.id = c.platform_id
         order by p.id, c.status`.execute(db);
      return rows.map((r) => ({ platform: r.code, status: r.status, runs: r.runs }));
    },
  };
}
