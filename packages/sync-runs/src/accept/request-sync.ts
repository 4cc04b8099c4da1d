import type { Kysely } from 'kysely';
import type { Database, Platform, PlatformId, SyncMode, SyncStatus } from '@ach/db';
import type { Logger } from '@ach/observability';
import { enqueueSync, type SyncJob, type SyncQueues } from '@ach/queue';
import { withinDeadline } from '@ach/runtime';
import { createSyncRunRepository, type SyncRunRepository } from '../repository/sync-run-repository.ts';
import { SyncAcceptError } from './sync-accept-error.ts';

/** A platform as the accept path needs it: its `platforms.id` for the run, its slug for the job (a registry module is one). */
export interface AcceptPlatform {
  id: PlatformId;
  slug: Platform;
}

export interface SyncRequestInput {
  userId: string;
  platform: AcceptPlatform;
  mode: SyncMode;
}

export interface SyncRequestResult {
  syncId: string;
  status: SyncStatus;
  /** The answer is a run that already existed (queued or running), not a new one. */
  deduplicated: boolean;
}

export interface RequestSyncDeps {
  db: Kysely<Database>;
  queues: SyncQueues;
  log: Logger;
  /** How long queue.add may take before the request is refused `queue_unavailable` (the contract says ≤ 2 s overall). */
  enqueueTimeoutMs: number;
}

/** Starting and finishing runs can keep a request from settling; after this many tries it is `sync_contended`. */
const MAX_ATTEMPTS = 3;

async function enqueueWithin(deps: RequestSyncDeps, job: SyncJob): Promise<void> {
  await withinDeadline(enqueueSync(deps.queues, job), deps.enqueueTimeoutMs, 'enqueue');
}

export const queueUnavailableError = (platform: Platform, cause: unknown) =>
  new SyncAcceptError('queue_unavailable', platform, 'the sync job could not be enqueued', { cause });

/**
 * THE way a sync run comes to exist: accepts a request so that it is never lost — either the run is
 * queued AND its job is in Redis, or it is refused `queue_unavailable` and the run we created is
 * marked `failed` (error_code `queue_unavailable`), kept rather than deleted so the attempt stays
 * visible in the history. One live run per user and platform: a request while one is queued or
 * running answers that run (`deduplicated`) and gives it its job back should it have lost it.
 * Refusals are `SyncAcceptError`s. The account row is not touched: it follows the run once a worker
 * starts it.
 */
export async function requestSync(deps: RequestSyncDeps, input: SyncRequestInput): Promise<SyncRequestResult> {
  return acceptOne(createSyncRunRepository({ db: deps.db }), deps, input);
}

/** `requestSync` on a repository the caller already holds (the batcher's per-request path). */
export async function acceptOne(runs: SyncRunRepository, deps: RequestSyncDeps, input: SyncRequestInput): Promise<SyncRequestResult> {
  const { userId, mode } = input;
  const { id: platformId, slug: platform } = input.platform;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const started = await runs.createQueued({ userId, platformId, mode });
    if (!started.linked) throw new SyncAcceptError('account_not_linked', platform, `no ${platform} account is linked for this user`);
    if (started.claimed) throw new SyncAcceptError('ownership_claimed', platform, `another user has proven they own the linked ${platform} account`);
    if (started.id) {
      try {
        await enqueueWithin(deps, { syncId: started.id, userId, platform, mode });
      } catch (error) {
        await failUnenqueuedRuns(runs, deps.log, [started.id]);
        throw queueUnavailableError(platform, error);
      }
      return { syncId: started.id, status: 'queued', deduplicated: false };
    }
    const live = await runs.findLive(userId, platformId);
    if (!live) continue; // the live run finished between the two statements: try to start a new one
    try {
      // Idempotent (job id = sync id): gives a run whose job was lost its job back.
      await enqueueWithin(deps, { syncId: live.id, userId, platform, mode: live.mode });
    } catch (error) {
      // Not our run to fail: it may be running on a worker right now.
      throw queueUnavailableError(platform, error);
    }
    return { syncId: live.id, status: live.status, deduplicated: true };
  }
  throw new SyncAcceptError('sync_contended', platform, 'runs are starting and finishing too fast to settle');
}

/** Fails runs we created but could not enqueue, so none is left `queued` without a job. */
export async function failUnenqueuedRuns(runs: SyncRunRepository, log: Logger, syncIds: readonly string[]): Promise<void> {
  try {
    await runs.failUnenqueued(syncIds);
  } catch (error) {
    // The rows stay queued; the monitor's sweep fails runs that have no live job.
    log.error({ err: error, syncIds }, 'could not mark unenqueued runs failed');
  }
}
