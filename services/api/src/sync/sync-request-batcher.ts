import { sql, type Kysely } from 'kysely';
import { PLATFORM_IDS, type Database, type Platform, type SyncMode } from '@ach/db';
import { enqueueSyncBulk, SyncEnqueueError, type SyncJob, type SyncQueues } from '@ach/queue';
import type { Logger } from '@ach/observability';
import { markRunsQueueUnavailable, queueUnavailable, requestSync, withinDeadline, type SyncRequestResult } from './request-sync.ts';

export interface SyncRequestInput {
  userId: string;
  platform: Platform;
  mode: SyncMode;
}

export interface SyncRequestBatcherDeps {
  db: Kysely<Database>;
  queues: SyncQueues;
  log: Logger;
  /** How long one batch's addBulk may take before its callers get 503 (the contract says ≤ 2 s overall). */
  enqueueTimeoutMs: number;
  /** Requests per batch at most (default 64). */
  maxBatch?: number;
  /** How long a request may wait for a batch while another one is in flight (default 2 ms). */
  maxWaitMs?: number;
}

export interface SyncRequestBatcher {
  /** Same contract as `requestSync`: resolves once the run is queued AND its job is in Redis. */
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

type InsertedRow = { id: string; user_id: string; platform_id: number };

const entryKey = (userId: string, platformId: number) => `${userId.toLowerCase()}:${platformId}`;

/** Errors a concurrent batch can cause; those requests simply take the one-at-a-time path. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

/**
 * Coalesces concurrent `POST /sync` accepts: one multi-row INSERT (linked-account check included)
 * and one `addBulk` per platform queue for the whole batch, instead of a Postgres commit and a
 * Redis script per request — those round trips, not CPU, were the cost of the accept path.
 *
 * A batch is flushed at once when nothing is in flight (so an idle API adds no latency beyond one
 * event-loop turn), and otherwise when the batch in flight settles, when `maxBatch` requests wait,
 * or after `maxWaitMs`. Requests the INSERT did not return (account not linked, or a live run
 * already exists) take the per-request path, which answers 409 or deduplicates and re-enqueues.
 */
export function createSyncRequestBatcher(deps: SyncRequestBatcherDeps): SyncRequestBatcher {
  const maxBatch = deps.maxBatch ?? 64;
  const maxWaitMs = deps.maxWaitMs ?? 2;
  const perRequest = { db: deps.db, queues: deps.queues, log: deps.log, enqueueTimeoutMs: deps.enqueueTimeoutMs };
  let pending: Waiter[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const running = new Set<Promise<void>>();

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (immediate) clearImmediate(immediate);
    immediate = undefined;
    while (pending.length > 0) {
      const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch);
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch);
      inFlight++;
      const settled: Promise<void> = runBatch(batch)
        .catch((error: unknown) => {
          // runBatch settles every waiter itself; this only guards against a bug leaving them hanging.
          for (const waiter of batch) waiter.reject(error);
        })
        .finally(() => {
          inFlight--;
          running.delete(settled);
          schedule();
        });
      running.add(settled);
    }
  }

  function schedule(): void {
    if (pending.length === 0) return;
    if (pending.length >= maxBatch) return flush();
    // Idle: go now, after the requests that arrived in this same I/O phase have joined.
    if (inFlight === 0) {
      immediate ??= setImmediate(flush);
      return;
    }
    timer ??= setTimeout(flush, maxWaitMs);
  }

  async function runBatch(batch: Waiter[]): Promise<void> {
    const entries = new Map<string, BatchEntry>();
    for (const waiter of batch) {
      const key = entryKey(waiter.input.userId, PLATFORM_IDS[waiter.input.platform]);
      const entry = entries.get(key);
      // The first request for a user + platform decides the mode, as the first INSERT would.
      if (entry) entry.waiters.push(waiter);
      else entries.set(key, { input: waiter.input, waiters: [waiter] });
    }

    const startedAt = performance.now();
    let inserted: InsertedRow[];
    try {
      inserted = await insertQueuedRuns(deps.db, [...entries.values()].map((e) => e.input));
    } catch (error) {
      if (!RETRYABLE_SQLSTATES.has((error as { code?: string }).code ?? '')) {
        for (const waiter of batch) waiter.reject(error);
        return;
      }
      deps.log.warn({ err: error, size: entries.size }, 'batched sync insert lost a race; taking the per-request path');
      inserted = [];
    }

    const created: Array<{ entry: BatchEntry; syncId: string }> = [];
    for (const row of inserted) {
      const entry = entries.get(entryKey(row.user_id, row.platform_id))!;
      entries.delete(entryKey(row.user_id, row.platform_id));
      created.push({ entry, syncId: row.id });
    }

    // Not linked, or a live run exists: the per-request path answers 409, or finds the live run
    // (in a newer snapshot) and re-enqueues it. Runs beside this batch's enqueue.
    const others = [...entries.values()].map((entry) =>
      requestSync(perRequest, entry.input).then(
        (result) => settle(entry, result),
        (error: unknown) => {
          for (const waiter of entry.waiters) waiter.reject(error);
        },
      ),
    );

    if (created.length > 0) await enqueueCreated(created);
    await Promise.all(others);
    deps.log.debug({ requests: batch.length, created: created.length, perRequest: others.length, ms: Math.round(performance.now() - startedAt) }, 'sync request batch');
  }

  async function enqueueCreated(created: Array<{ entry: BatchEntry; syncId: string }>): Promise<void> {
    const jobs: SyncJob[] = created.map(({ entry, syncId }) => ({ syncId, userId: entry.input.userId, platform: entry.input.platform, mode: entry.input.mode }));
    let failed: ReadonlySet<Platform> = new Set();
    let cause: unknown;
    try {
      await withinDeadline(enqueueSyncBulk(deps.queues, jobs), deps.enqueueTimeoutMs);
    } catch (error) {
      cause = error;
      // A platform queue whose MULTI failed holds none of its jobs; after a timeout we cannot know.
      failed = new Set(error instanceof SyncEnqueueError ? error.platforms : jobs.map((j) => j.platform));
    }
    if (failed.size > 0) {
      const unenqueued = created.filter(({ entry }) => failed.has(entry.input.platform));
      // Kept, not deleted, so the attempt shows in the history; never left `queued` without a job.
      await markRunsQueueUnavailable(deps, unenqueued.map((c) => c.syncId));
      deps.log.warn({ err: cause, runs: unenqueued.length }, 'sync jobs could not be enqueued');
    }
    for (const { entry, syncId } of created) {
      if (failed.has(entry.input.platform)) {
        const problem = queueUnavailable(cause);
        for (const waiter of entry.waiters) waiter.reject(problem);
      } else {
        settle(entry, { syncId, status: 'queued', deduplicated: false });
      }
    }
  }

  return {
    request: (input) =>
      new Promise<SyncRequestResult>((resolve, reject) => {
        pending.push({ input, resolve, reject });
        schedule();
      }),
    close: async () => {
      flush();
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

/** A run one request created is a deduplicated answer to every other request for it. */
function settle(entry: BatchEntry, result: SyncRequestResult): void {
  entry.waiters.forEach((waiter, i) => waiter.resolve(i === 0 ? result : { ...result, deduplicated: true }));
}

/**
 * The linked-account check and the insert for the whole batch in one autocommit statement. Rows go
 * in key order so that two batches racing for the same keys cannot deadlock on the partial unique
 * index `sync_logs_one_live_run_idx`; conflicting and unlinked requests get no row back.
 */
async function insertQueuedRuns(db: Kysely<Database>, inputs: SyncRequestInput[]): Promise<InsertedRow[]> {
  const { rows } = await sql<InsertedRow>`
    insert into sync_logs (user_id, platform_id, mode)
    select r.user_id, r.platform_id, r.mode
      from unnest(${inputs.map((i) => i.userId)}::uuid[], ${inputs.map((i) => PLATFORM_IDS[i.platform])}::smallint[], ${inputs.map((i) => i.mode)}::text[])
           as r(user_id, platform_id, mode)
      join platform_accounts pa on pa.user_id = r.user_id and pa.platform_id = r.platform_id
     order by r.user_id, r.platform_id
    on conflict (user_id, platform_id) where status in ('queued', 'running') do nothing
    returning id, user_id, platform_id`.execute(db);
  return rows;
}
