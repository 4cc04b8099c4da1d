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
 * A killed worker's lock expires after `lockDuration`; the stalled-job checker runs every
 * `stalledInterval`. 10 s + 5 s keeps recovery inside the 15 s the product promises.
 */
export const SYNC_WORKER_LOCK_SETTINGS = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 3,
} as const;
