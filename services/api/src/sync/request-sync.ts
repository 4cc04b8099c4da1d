import { sql, type Kysely } from 'kysely';
import { PLATFORM_IDS, type Database, type Platform, type SyncMode, type SyncStatus } from '@ach/db';
import { enqueueSync, type SyncQueues } from '@ach/queue';
import type { Logger } from '@ach/observability';
import { ProblemError } from '../problem.ts';
import { withinDeadline } from '../within-deadline.ts';

export interface SyncRequestResult {
  syncId: string;
  status: SyncStatus;
  deduplicated: boolean;
}

export interface RequestSyncDeps {
  db: Kysely<Database>;
  queues: SyncQueues;
  log: Logger;
  /** How long queue.add may take before the request answers 503 (the contract says ≤ 2 s overall). */
  enqueueTimeoutMs: number;
}

/** Seconds a client should wait before retrying when the queue is unreachable. */
const QUEUE_RETRY_AFTER_S = '5';

type StartRow = { linked: boolean; claimed: boolean; id: string | null; status: SyncStatus | null };
type LiveRow = { id: string; status: SyncStatus; mode: SyncMode };

/**
 * An unverified link of an account another user has proven is theirs (Steam sign-in) does not sync:
 * the referee is the other user's verified row, not the flag on this one (a flag can be stale).
 */
export const ownershipClaimedByOther = (alias: string) => sql`exists (
  select 1 from platform_accounts o
   where o.platform_id = ${sql.ref(`${alias}.platform_id`)} and o.external_account_id = ${sql.ref(`${alias}.external_account_id`)}
     and o.verified and o.user_id <> ${sql.ref(`${alias}.user_id`)})`;

/**
 * One round-trip for the common case: checks the account is linked (and not claimed by its verified
 * owner) and inserts the queued run in the same statement. The partial unique index
 * `sync_logs_one_live_run_idx` referees concurrent requests; a loser gets no row back and reads the
 * winner's run in a second statement (a new snapshot — the first one may predate the winner's commit).
 */
async function insertQueuedRun(db: Kysely<Database>, userId: string, platformId: number, mode: SyncMode): Promise<StartRow> {
  const { rows } = await sql<StartRow>`
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
}

async function findLiveRun(db: Kysely<Database>, userId: string, platformId: number): Promise<LiveRow | undefined> {
  const { rows } = await sql<LiveRow>`
    select id, status, mode from sync_logs
     where user_id = ${userId}::uuid and platform_id = ${platformId}::smallint and status in ('queued', 'running')`.execute(db);
  return rows[0];
}

async function enqueueWithin(deps: RequestSyncDeps, job: Parameters<typeof enqueueSync>[1]): Promise<void> {
  await withinDeadline(enqueueSync(deps.queues, job), deps.enqueueTimeoutMs, 'enqueue');
}

export const queueUnavailable = (cause: unknown) =>
  new ProblemError(503, 'queue_unavailable', 'The sync queue is unreachable; try again shortly', { headers: { 'retry-after': QUEUE_RETRY_AFTER_S }, cause });

/**
 * Accepts a sync request so that it is never lost: either the run is queued AND its job is in
 * Redis, or the caller gets 503 and the run we created is marked `failed` (error_code
 * `queue_unavailable`) — kept rather than deleted, so the attempt stays visible in the history.
 */
export async function requestSync(deps: RequestSyncDeps, input: { userId: string; platform: Platform; mode: SyncMode }): Promise<SyncRequestResult> {
  const platformId = PLATFORM_IDS[input.platform];
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = await insertQueuedRun(deps.db, input.userId, platformId, input.mode);
    if (!started.linked) {
      throw new ProblemError(409, 'account_not_linked', `No ${input.platform} account is linked; link one with PUT /accounts/${input.platform}`);
    }
    if (started.claimed) {
      throw new ProblemError(409, 'ownership_claimed', `Another user has proven they own the linked ${input.platform} account; link an account you own${input.platform === 'steam' ? ' (sign in with POST /accounts/steam/openid)' : ''}`);
    }
    if (started.id) {
      try {
        await enqueueWithin(deps, { syncId: started.id, userId: input.userId, platform: input.platform, mode: input.mode });
      } catch (error) {
        await markQueueUnavailable(deps, started.id);
        throw queueUnavailable(error);
      }
      return { syncId: started.id, status: 'queued', deduplicated: false };
    }
    const live = await findLiveRun(deps.db, input.userId, platformId);
    if (!live) continue; // the live run finished between the two statements: try to start a new one
    try {
      // Idempotent (job id = sync id): gives a run whose job was lost its job back.
      await enqueueWithin(deps, { syncId: live.id, userId: input.userId, platform: input.platform, mode: live.mode });
    } catch (error) {
      // Not our run to fail: it may be running on a worker right now.
      throw queueUnavailable(error);
    }
    return { syncId: live.id, status: live.status, deduplicated: true };
  }
  throw new ProblemError(503, 'sync_contended', 'Runs are starting and finishing too fast to settle; try again', { headers: { 'retry-after': '1' } });
}

async function markQueueUnavailable(deps: RequestSyncDeps, syncId: string): Promise<void> {
  await markRunsQueueUnavailable(deps, [syncId]);
}

/** Fails runs we created but could not enqueue; only while still `queued` (a worker may have one). */
export async function markRunsQueueUnavailable(deps: Pick<RequestSyncDeps, 'db' | 'log'>, syncIds: readonly string[]): Promise<void> {
  try {
    await sql`
      update sync_logs set status = 'failed', error_code = 'queue_unavailable',
             error_message = 'the job could not be enqueued', finished_at = now()
       where id = any(${syncIds}::uuid[]) and status = 'queued'`.execute(deps.db);
  } catch (error) {
    // The rows stay queued; the monitor's sweep fails runs that have no live job.
    deps.log.error({ err: error, syncIds }, 'could not mark unenqueued runs failed');
  }
}
