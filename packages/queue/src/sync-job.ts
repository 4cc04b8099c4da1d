import { z } from 'zod';

/**
 * A platform slug's shape ('psn', 'steam'): which slugs exist is the platform registry's business,
 * so a consumer checks the value against its own platform (a worker: the one it runs).
 */
export const platformSlugSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a platform slug');

/** Ids only: a token never travels through Redis or shows up in Bull Board. */
export const syncJobSchema = z.strictObject({
  syncId: z.uuid(),
  userId: z.uuid(),
  platform: platformSlugSchema,
  mode: z.enum(['incremental', 'full']),
});
export type SyncJob = z.infer<typeof syncJobSchema>;

/**
 * Retries are for transient failures only (the runner turns everything else into an unrecoverable
 * error); rate limits are delays, not attempts. Finished jobs are kept long enough for Bull Board.
 */
export const SYNC_JOB_OPTIONS = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} as const;

/**
 * How fast another replica takes over the job of a killed worker. The promise: the job *finishes*
 * on another worker within 15 s of the kill — takeover plus the rest of the run (resumed from its
 * checkpoints), so the takeover must leave most of those 15 s to the work.
 *
 * Takeover = what is left of the dead worker's lock (BullMQ renews it every lockDuration / 4, so
 * ¾–1 × lockDuration) + until a stalled check sees the job in the stalled set with no lock (checks
 * run every `stalledInterval`, shared by the replicas through a key that lives one interval; one that
 * the dead worker made just before dying can skip a slot: up to 2 intervals). 10 s + 5 s measured
 * 11–17 s before the run even resumed (reliability/scenarios/01-worker-killed.test.ts); 5 s + 2 s is
 * ≤ 9 s, typically 5–6 s. The price: the lock renewal (one Redis script per worker every 1.25 s) and a
 * stalled check every 2 s per queue, both negligible; and a worker whose event loop is blocked for
 * more than ~3.75 s loses its lock, so the job runs again elsewhere — harmless (a rerun ends in the
 * same rows), and no sync step blocks for anything near that.
 */
export const SYNC_WORKER_LOCK_SETTINGS = {
  lockDuration: 5_000,
  stalledInterval: 2_000,
  maxStalledCount: 3,
} as const;
