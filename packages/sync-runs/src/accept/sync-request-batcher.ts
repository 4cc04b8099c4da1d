import type { Kysely } from 'kysely';
import type { Database, Platform } from '@ach/db';
import type { Logger } from '@ach/observability';
import { enqueueSyncBulk, SyncEnqueueError, type SyncJob, type SyncQueues } from '@ach/queue';
import { withinDeadline } from '@ach/runtime';
import { createSyncRunRepository, type CreatedRunRow } from '../repository/sync-run-repository.ts';
import { createBatchStage } from './batch-stage.ts';
import { acceptOne, failUnenqueuedRuns, queueUnavailableError, type SyncRequestInput, type SyncRequestResult } from './request-sync.ts';

export interface SyncRequestBatcherDeps {
  db: Kysely<Database>;
  queues: SyncQueues;
  log: Logger;
  /** How long one batch's addBulk may take before its callers are refused `queue_unavailable` (the contract says ≤ 2 s overall). */
  enqueueTimeoutMs: number;
  /** Requests per INSERT and jobs per addBulk at most (default 64). */
  maxBatch?: number;
  /** How long a request may wait, at each stage, for the batch in flight to settle before starting its own (default 10 ms). */
  maxWaitMs?: number;
}

export interface SyncRequestBatcher {
  /** Same contract as `requestSync`: resolves once the run is queued AND its job is in Redis; refusals are `SyncAcceptError`s. */
  request: (input: SyncRequestInput) => Promise<SyncRequestResult>;
  /** Flushes what is waiting and resolves when every batch has settled. */
  close: () => Promise<void>;
}

interface Waiter {
  input: SyncRequestInput;
  resolve: (result: SyncRequestResult) => void;
  reject: (error: unknown) => void;
}

/** One user + platform in a batch; every waiter for it gets the same run. */
interface BatchEntry {
  input: SyncRequestInput;
  waiters: Waiter[];
}

/** A run the INSERT created, waiting for its job to reach Redis. */
interface CreatedRun {
  entry: BatchEntry;
  syncId: string;
}

const entryKey = (userId: string, platformId: number) => `${userId.toLowerCase()}:${platformId}`;

/** Errors a concurrent batch can cause; those requests simply take the one-at-a-time path. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

/**
 * Coalesces concurrent accepts: one multi-row INSERT (linked-account check included) and one
 * `addBulk` per platform queue for many requests, instead of a Postgres commit and a Redis script
 * per request. Postgres pays most of a small statement's cost before its first row (here ≈ 0.5 ms
 * of backend CPU per statement, ≈ 50 µs per row after it: `npm run bench sync-request-insert`), so
 * batch size is what decides the accept path's cost.
 *
 * Two stages, each a group commit (batch-stage.ts): the INSERT stage and the enqueue stage. While
 * one batch's jobs go to Redis, the next batch's rows go to Postgres: a batch's Redis round trip
 * does not hold back the next batch's INSERT (nor, in an outage, its refusal). A request resolves
 * only once its run is committed AND its job is in Redis. `maxWaitMs` bounds the wait behind a
 * slow round trip (a Redis outage takes up to `enqueueTimeoutMs`), which keeps a refusal inside the
 * contract's 2 s. Requests the INSERT did not return (account not linked or claimed, or a live run
 * already exists) take the per-request path (`requestSync`), which refuses or deduplicates and
 * re-enqueues.
 */
export function createSyncRequestBatcher(deps: SyncRequestBatcherDeps): SyncRequestBatcher {
  const maxBatch = deps.maxBatch ?? 64;
  const maxWaitMs = deps.maxWaitMs ?? 10;
  const runs = createSyncRunRepository({ db: deps.db });
  const perRequestRunning = new Set<Promise<void>>();

  const enqueueStage = createBatchStage<CreatedRun>({
    run: enqueueCreated,
    maxBatch,
    maxWaitMs,
    // enqueueCreated settles every waiter itself; this only guards against a bug leaving them hanging.
    onError: (batch, error) => batch.forEach(({ entry }) => rejectAll(entry, error)),
  });
  const insertStage = createBatchStage<Waiter>({
    run: insertBatch,
    maxBatch,
    maxWaitMs,
    onError: (batch, error) => batch.forEach((waiter) => waiter.reject(error)),
  });

  async function insertBatch(batch: Waiter[]): Promise<void> {
    const entries = new Map<string, BatchEntry>();
    for (const waiter of batch) {
      const key = entryKey(waiter.input.userId, waiter.input.platform.id);
      const entry = entries.get(key);
      // The first request for a user + platform decides the mode, as the first INSERT would.
      if (entry) entry.waiters.push(waiter);
      else entries.set(key, { input: waiter.input, waiters: [waiter] });
    }

    const startedAt = performance.now();
    let inserted: CreatedRunRow[];
    try {
      inserted = await runs.createQueuedBatch([...entries.values()].map(({ input }) => ({ userId: input.userId, platformId: input.platform.id, mode: input.mode })));
    } catch (error) {
      if (!RETRYABLE_SQLSTATES.has((error as { code?: string }).code ?? '')) {
        for (const waiter of batch) waiter.reject(error);
        return;
      }
      deps.log.warn({ err: error, size: entries.size }, 'batched sync insert lost a race; taking the per-request path');
      inserted = [];
    }

    for (const row of inserted) {
      const key = entryKey(row.user_id, row.platform_id);
      enqueueStage.push({ entry: entries.get(key)!, syncId: row.id });
      entries.delete(key);
    }

    // Not linked, claimed by the account's verified owner, or a live run exists: the per-request path refuses,
    // or finds the live run (in a newer snapshot) and re-enqueues it.
    for (const entry of entries.values()) {
      const settled: Promise<void> = acceptOne(runs, deps, entry.input).then(
        (result) => settle(entry, result),
        (error: unknown) => rejectAll(entry, error),
      );
      perRequestRunning.add(settled);
      void settled.finally(() => perRequestRunning.delete(settled));
    }
    deps.log.debug({ requests: batch.length, created: inserted.length, perRequest: entries.size, ms: Math.round(performance.now() - startedAt) }, 'sync request batch');
  }

  async function enqueueCreated(created: CreatedRun[]): Promise<void> {
    const jobs: SyncJob[] = created.map(({ entry, syncId }) => ({ syncId, userId: entry.input.userId, platform: entry.input.platform.slug, mode: entry.input.mode }));
    let failed: ReadonlySet<Platform> = new Set();
    let cause: unknown;
    try {
      await withinDeadline(enqueueSyncBulk(deps.queues, jobs), deps.enqueueTimeoutMs, 'enqueue');
    } catch (error) {
      cause = error;
      // A platform queue whose MULTI failed holds none of its jobs; after a timeout we cannot know.
      failed = new Set(error instanceof SyncEnqueueError ? error.platforms : jobs.map((j) => j.platform));
    }
    if (failed.size > 0) {
      const unenqueued = created.filter(({ entry }) => failed.has(entry.input.platform.slug));
      // Kept, not deleted, so the attempt shows in the history; never left `queued` without a job.
      await failUnenqueuedRuns(runs, deps.log, unenqueued.map((c) => c.syncId));
      deps.log.warn({ err: cause, runs: unenqueued.length }, 'sync jobs could not be enqueued');
    }
    for (const { entry, syncId } of created) {
      if (failed.has(entry.input.platform.slug)) rejectAll(entry, queueUnavailableError(entry.input.platform.slug, cause));
      else settle(entry, { syncId, status: 'queued', deduplicated: false });
    }
  }

  return {
    request: (input) => new Promise<SyncRequestResult>((resolve, reject) => insertStage.push({ input, resolve, reject })),
    close: async () => {
      // In pipeline order: the last INSERTs feed the enqueue stage before it closes.
      await insertStage.close();
      await enqueueStage.close();
      while (perRequestRunning.size > 0) await Promise.all([...perRequestRunning]);
    },
  };
}

function rejectAll(entry: BatchEntry, error: unknown): void {
  for (const waiter of entry.waiters) waiter.reject(error);
}

/** A run one request created is a deduplicated answer to every other request for it. */
function settle(entry: BatchEntry, result: SyncRequestResult): void {
  entry.waiters.forEach((waiter, i) => waiter.resolve(i === 0 ? result : { ...result, deduplicated: true }));
}
