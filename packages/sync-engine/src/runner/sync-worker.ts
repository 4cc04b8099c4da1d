import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { z } from 'zod';
import type { Platform } from '@ach/db';
import type { Logger } from '@ach/observability';
import { SYNC_WORKER_LOCK_SETTINGS, syncJobSchema, syncQueueName, type SyncJob } from '@ach/queue';
import { failureCause, SyncAttemptError, type SyncEngine, type SyncRunResult } from '../engine/sync-engine.ts';
import type { SyncRunRepository } from '@ach/sync-runs';
import type { RateLimiter } from '../rate-limit/redis-token-bucket.ts';
import { decideFailure } from './failure-policy.ts';

export interface SyncWorkerOptions {
  /** Its platform decides the queue this worker consumes. */
  engine: SyncEngine;
  runs: SyncRunRepository;
  connection: ConnectionOptions;
  prefix: string;
  log: Logger;
  /** Jobs processed at once by this process (default 4). */
  concurrency?: number;
  /** Told about a 429 so every replica sharing the limiter backs off, not only this job. */
  limiter?: RateLimiter;
  /**
   * Display names for the words users read about a platform's failure (default: the engine's own
   * platform by its name, any other by its slug — a worker only ever calls its own platform).
   */
  platformNames?: (slug: Platform) => string | undefined;
}

export interface SyncWorker {
  worker: Worker<SyncJob, SyncRunResult>;
  /**
   * Stops taking jobs and lets the current ones finish for up to `graceMs`; after that it lets go
   * of them without completing — their locks lapse and another replica takes them over (a rerun
   * ends in the same database state).
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * The one worker runner every platform uses: validates the payload, runs the engine, and maps a
 * failure's kind to BullMQ behaviour (see failure-policy.ts). A bad payload fails its job with a
 * readable reason; nothing a job does can crash the process.
 */
export function createSyncWorker(options: SyncWorkerOptions): SyncWorker {
  const { engine, runs } = options;
  const platform = engine.platform.slug;
  const platformName = (slug: Platform) => options.platformNames?.(slug) ?? (slug === platform ? engine.platform.displayName : slug);
  // Set when shutdown lets go of the running jobs: an attempt that then fails on this process's own
  // closing connections is no failure of its run — nothing is recorded, its rerun resumes it.
  let handedBack = false;

  async function processJob(job: Job<SyncJob, SyncRunResult>, token?: string): Promise<SyncRunResult> {
    const log = options.log.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    const parsed = syncJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const reason = `invalid job payload: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`;
      log.error({ reason }, 'rejected job');
      throw new UnrecoverableError(reason);
    }
    const payload = parsed.data;
    if (payload.platform !== platform) throw new UnrecoverableError(`invalid job payload: platform ${payload.platform} on the ${platform} queue`);
    const run = { syncId: payload.syncId, userId: payload.userId, platform, platformId: engine.platform.id };
    try {
      return await engine.run(payload, { attemptsMade: job.attemptsMade, log });
    } catch (error) {
      if (handedBack) {
        log.info({ syncId: run.syncId }, 'attempt stopped by the shutdown; the job was handed back');
        throw error;
      }
      const decision = decideFailure(error, platformName, { platform });
      const stats = error instanceof SyncAttemptError ? error.stats : undefined;
      const maxAttempts = job.opts.attempts ?? 1;
      const lastAttempt = job.attemptsMade + 1 >= maxAttempts;
      if (decision.action === 'delay' && token) {
        log.warn({ delayMs: decision.delayMs, code: decision.code }, 'rate limited; delaying job');
        await options.limiter?.pause(decision.delayMs).catch(() => {});
        await runs.interrupted(run, decision);
        await job.moveToDelayed(Date.now() + decision.delayMs, token);
        throw new DelayedError();
      }
      // The full error (message, stack, cause chain) lives only here, under the errorId the user sees.
      const cause = failureCause(error);
      const detail = { code: decision.code, errorId: decision.errorId, syncId: run.syncId, err: cause };
      if ((decision.action === 'retry' || decision.action === 'delay') && !lastAttempt) {
        log[decision.errorId ? 'error' : 'warn'](detail, 'attempt failed; will retry');
        await runs.interrupted(run, decision);
        throw cause instanceof Error ? cause : error;
      }
      const needsAttention = decision.action === 'fail' ? decision.needsAttention : false;
      log.error(detail, 'sync failed');
      await runs.fail(run, { code: decision.code, message: decision.message, needsAttention, stats });
      throw new UnrecoverableError(`${decision.code}: ${decision.message}`);
    }
  }

  const worker = new Worker<SyncJob, SyncRunResult>(syncQueueName(platform), processJob, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 4,
    ...SYNC_WORKER_LOCK_SETTINGS,
  });
  worker.on('error', (error) => options.log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => options.log.warn({ jobId: job?.id, reason: error.message }, 'job failed'));
  worker.on('completed', (job) => options.log.info({ jobId: job.id }, 'job completed'));
  worker.on('stalled', (jobId) => options.log.warn({ jobId }, 'job stalled; it will run again'));

  return {
    worker,
    async close(graceMs = 20_000) {
      // BullMQ's close() is decided by its first call: a later close(true) returns the first call's
      // promise, which waits for the running jobs however long they take. So: stop taking jobs and
      // wait for the running ones with pause(), and call close() once — forced when the grace ran out.
      let timer: NodeJS.Timeout | undefined;
      const drained = worker.pause().then(
        () => true,
        () => false,
      );
      const expired = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      });
      const finished = await Promise.race([drained, expired]);
      clearTimeout(timer);
      if (!finished) {
        handedBack = true;
        options.log.warn({ graceMs }, 'jobs still running after the grace period; handing them back');
      }
      // Forced: their locks are no longer renewed and lapse, and another replica's stalled check
      // hands the jobs to a worker that reruns them (resuming from the run's checkpoints).
      await worker.close(!finished);
    },
  };
}
