import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { z } from 'zod';
import type { Logger } from '@ach/observability';
import { MONITOR_QUEUE_NAME } from '@ach/queue';
import type { CheckMode } from '../quality/check-result.ts';
import type { QualityRunOutcome } from '../quality/run-quality-check.ts';

export const QUALITY_JOB_NAME = 'quality-check';
export const FULL_CHECK_SCHEDULER_ID = 'quality-check-full';
export const INCREMENTAL_CHECK_SCHEDULER_ID = 'quality-check-incremental';
/** How often, at most, each replica makes sure both schedules still exist (and the incremental interval, when shorter). */
export const SCHEDULE_CHECK_MAX_EVERY_MS = 60_000;
/** A scheduled job this much past its time, with this replica idle, means its worker is wedged (at least 3 intervals). */
export const SCHEDULE_OVERDUE_MIN_MS = 10_000;

export const qualityJobSchema = z.strictObject({ mode: z.enum(['full', 'incremental']) });
export type QualityJob = z.infer<typeof qualityJobSchema>;
export type QualityJobResult = { ran: true; monitoringLogId: number; status: string; mode: CheckMode } | { ran: false; reason: string };

export interface MonitorSchedule {
  /** The full check: a cron pattern (5 fields, or 6 with seconds) in `tz`. */
  cron: string;
  tz: string;
  incrementalEveryMs: number;
}

export interface MonitorScheduler {
  queue: Queue<QualityJob, QualityJobResult>;
  /** The current worker (replaced when the watchdog finds it wedged). */
  worker(): Worker<QualityJob, QualityJobResult>;
  close(): Promise<void>;
}

/**
 * The `monitor` queue: two BullMQ job schedulers — the full check on the cron pattern and the
 * incremental check every `incrementalEveryMs` — and a worker (one job at a time) that runs them.
 * Every replica upserts the same two scheduler ids, so there is one schedule however many run, and
 * each scheduled job is taken by one worker; the advisory lock in runQualityCheck keeps a full and
 * an incremental job (or a run started from the API) from overlapping.
 */
export async function startMonitorScheduler(deps: {
  connection: ConnectionOptions;
  prefix: string;
  log: Logger;
  schedule: MonitorSchedule;
  run: (mode: CheckMode, signal: AbortSignal) => Promise<QualityRunOutcome>;
}): Promise<MonitorScheduler> {
  const { log } = deps;
  const shutdown = new AbortController();
  const queue = new Queue<QualityJob, QualityJobResult>(MONITOR_QUEUE_NAME, { connection: deps.connection, prefix: deps.prefix });
  queue.on('error', (error) => log.warn({ err: error }, 'monitor queue error'));

  const keep = { removeOnComplete: { count: 500 }, removeOnFail: { count: 500 } };
  const upsert: Record<string, () => Promise<unknown>> = {
    [FULL_CHECK_SCHEDULER_ID]: () =>
      queue.upsertJobScheduler(
        FULL_CHECK_SCHEDULER_ID,
        { pattern: deps.schedule.cron, tz: deps.schedule.tz },
        // A failed full check (database restart, …) is worth another try; an incremental one is not: the next comes soon.
        { name: QUALITY_JOB_NAME, data: { mode: 'full' }, opts: { ...keep, attempts: 3, backoff: { type: 'exponential', delay: 30_000 } } },
      ),
    [INCREMENTAL_CHECK_SCHEDULER_ID]: () =>
      queue.upsertJobScheduler(
        INCREMENTAL_CHECK_SCHEDULER_ID,
        { every: deps.schedule.incrementalEveryMs },
        { name: QUALITY_JOB_NAME, data: { mode: 'incremental' }, opts: { ...keep, attempts: 1 } },
      ),
  };
  for (const create of Object.values(upsert)) await create();

  // The schedules live in Redis only: a Redis restarted without persistence, or flushed, loses them,
  // and with them the stuck-sync sweep that closes the runs whose jobs were lost the same way. Every
  // replica checks they are there (one read each) and puts back what is missing.
  //
  // A schedule that is there but overdue while this replica runs nothing means no worker is taking
  // its jobs: BullMQ's blocking connection can wedge silently when the Redis (Cluster) master it
  // waits on dies (taskforcesh/bullmq#4138, #3185; reproduced by the reliability suite's cluster
  // failover), and nothing but a new Worker brings it back. So the replica replaces its worker.
  const overdueMs = Math.max(3 * deps.schedule.incrementalEveryMs, SCHEDULE_OVERDUE_MIN_MS);
  let checking = false;
  const restoreMissing = async () => {
    if (checking) return;
    checking = true;
    try {
      for (const [id, create] of Object.entries(upsert)) {
        if (shutdown.signal.aborted) continue;
        const scheduler = await queue.getJobScheduler(id);
        if (!scheduler) {
          await create();
          log.warn({ scheduler: id }, 'quality check schedule was missing from Redis (restarted or flushed): created again');
        } else if (scheduler.next !== undefined && Date.now() - scheduler.next > overdueMs && running === 0) {
          log.warn({ scheduler: id, overdueMs: Date.now() - scheduler.next }, 'quality check job overdue and this replica idle: replacing its queue worker');
          replaceWorker();
        }
      }
    } catch (error) {
      // Redis away: the next check tries again. Closing: the queue's connection went first.
      if (!shutdown.signal.aborted) log.warn({ err: error }, 'could not check the quality check schedules');
    } finally {
      checking = false;
    }
  };
  const restoreTimer = setInterval(() => void restoreMissing(), Math.min(deps.schedule.incrementalEveryMs, SCHEDULE_CHECK_MAX_EVERY_MS));
  restoreTimer.unref();

  async function process(job: Job<QualityJob, QualityJobResult>): Promise<QualityJobResult> {
    const parsed = qualityJobSchema.safeParse(job.data);
    if (!parsed.success) throw new Error(`invalid monitor job payload: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`);
    const outcome = await deps.run(parsed.data.mode, shutdown.signal);
    return outcome.ran
      ? { ran: true, monitoringLogId: outcome.run.id, status: outcome.run.status, mode: outcome.run.mode }
      : { ran: false, reason: outcome.reason };
  }

  let running = 0;
  const createWorker = () => {
    const created = new Worker<QualityJob, QualityJobResult>(
      MONITOR_QUEUE_NAME,
      async (job) => {
        running += 1;
        try {
          return await process(job);
        } finally {
          running -= 1;
        }
      },
      { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
    );
    created.on('error', (error) => log.error({ err: error }, 'monitor worker error'));
    created.on('failed', (job, error) => log.error({ jobId: job?.id, mode: job?.data.mode, reason: error.message }, 'quality check job failed'));
    return created;
  };
  let worker = createWorker();
  const replaceWorker = () => {
    const wedged = worker;
    worker = createWorker();
    // Forced, not awaited: a wedged worker's close may never return.
    wedged.close(true).catch(() => {});
  };

  log.info({ cron: deps.schedule.cron, tz: deps.schedule.tz, incrementalEveryMs: deps.schedule.incrementalEveryMs }, 'quality checks scheduled');
  return {
    queue,
    worker: () => worker,
    async close() {
      // Stop waiting for the lock, let a running check finish, then let go of Redis.
      shutdown.abort();
      clearInterval(restoreTimer);
      await worker.close();
      await queue.close();
    },
  };
}
