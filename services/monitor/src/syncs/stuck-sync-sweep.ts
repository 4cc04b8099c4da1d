import type { JobState } from 'bullmq';
import type { Logger } from '@ach/observability';
import { SYNC_JOB_NAME, syncJobSchema } from '@ach/queue';
import { withinDeadline } from '@ach/runtime';
import type { QuietRun, SyncRunRepository } from '@ach/sync-runs';
import type { CheckResult } from '../quality/check-result.ts';
import type { PlatformQueue, PlatformQueues } from '../queues/platform-queues.ts';

/** A job in one of these states will still be worked on; anything else (gone, completed, failed) will not. */
const LIVE_JOB_STATES: ReadonlySet<JobState | 'unknown'> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** What the app shows for a run the sweep closed (error_code is one the app knows). */
export const STUCK_RUN_FAILURE = {
  code: 'internal_error',
  message: 'The sync stopped making progress and was closed; start it again',
} as const;

export interface StuckSweepOptions {
  /** A live run whose row has not changed for this long, and that has no live job, is stuck. */
  stuckAfterMs: number;
  /** Re-enqueues per run before the sweep gives up and closes it as failed (default 1). */
  maxRequeues?: number;
  /** Runs handled per sweep (oldest first); the rest wait for the next run (default 200). */
  limit?: number;
  deadlineMs?: number;
}

export interface StuckSweepDeps {
  /** @ach/sync-runs' run repository; built with `redis` it tells live listeners (SSE) of a run it closes. */
  repository: Pick<SyncRunRepository, 'findQuiet' | 'markRequeued' | 'closeQuiet'>;
  queues: PlatformQueues;
  log: Logger;
}

export interface StuckSweepOutcome {
  check: CheckResult;
  requeued: string[];
  failed: string[];
}

/**
 * The guarantee that an accepted sync never stays open forever. A queued/running run that has been
 * quiet for `stuckAfterMs` and has no live job in BullMQ (the job was lost with Redis data, removed
 * by hand, or failed/completed without the run's row following) is re-enqueued once — the old job
 * removed first: job id = sync id, and a kept failed job would make the add a no-op — and closed as
 * failed with a reason when it is found stuck again. Runs whose job state cannot be read (Redis away)
 * are left alone: no job must never be confused with no answer.
 */
export async function sweepStuckSyncs(deps: StuckSweepDeps, options: StuckSweepOptions): Promise<StuckSweepOutcome> {
  const maxRequeues = options.maxRequeues ?? 1;
  const deadlineMs = options.deadlineMs ?? 2_000;
  const requeued: string[] = [];
  const failed: string[] = [];
  const live: string[] = [];
  const errors: Record<string, string> = {};

  let candidates: QuietRun[];
  let queuesByPlatform: Map<number, PlatformQueue>;
  try {
    candidates = await deps.repository.findQuiet(options.stuckAfterMs, options.limit ?? 200);
    queuesByPlatform = new Map(candidates.length > 0 ? (await deps.queues.list()).map((q) => [q.platformId, q]) : []);
  } catch (error) {
    return { check: result(options, maxRequeues, { requeued, failed, live, errors: { sweep: (error as Error).message } }), requeued, failed };
  }

  const close = async (run: QuietRun, reason: string) => {
    const closed = await deps.repository.closeQuiet(run.id, options.stuckAfterMs, {
      ...STUCK_RUN_FAILURE,
      reason: { reason, quiet_since: run.updatedAt.toISOString(), requeues: run.requeues },
    });
    if (!closed) return;
    failed.push(run.id);
    deps.log.warn({ syncId: run.id, platform: run.platform, reason, requeues: run.requeues }, 'stuck sync closed as failed');
  };

  for (const run of candidates) {
    try {
      const platformQueue = queuesByPlatform.get(run.platformId);
      if (!platformQueue) {
        await close(run, 'no_queue');
        continue;
      }
      const { queue } = platformQueue;
      const state = await withinDeadline(queue.getJobState(run.id), deadlineMs, `queue ${queue.name}`);
      if (LIVE_JOB_STATES.has(state)) {
        live.push(run.id);
        continue;
      }
      const payload = syncJobSchema.safeParse({ syncId: run.id, userId: run.userId, platform: run.platform, mode: run.mode });
      if (run.requeues >= maxRequeues || !payload.success) {
        await close(run, payload.success ? 'stuck_after_requeue' : 'invalid_job');
        continue;
      }
      // Counted before the job exists: if the add below fails, the run is found again and closed.
      if (!(await deps.repository.markRequeued(run.id, options.stuckAfterMs))) continue;
      if (state !== 'unknown') await withinDeadline(queue.remove(run.id), deadlineMs, `queue ${queue.name}`);
      await withinDeadline(queue.add(SYNC_JOB_NAME, payload.data, { jobId: run.id }), deadlineMs, `queue ${queue.name}`);
      const after = await withinDeadline(queue.getJobState(run.id), deadlineMs, `queue ${queue.name}`);
      if (!LIVE_JOB_STATES.has(after)) throw new Error(`job is ${after} after re-enqueue`);
      requeued.push(run.id);
      deps.log.warn({ syncId: run.id, platform: run.platform, previousJobState: state }, 'stuck sync re-enqueued');
    } catch (error) {
      errors[run.id] = (error as Error).message;
      deps.log.error({ err: error, syncId: run.id }, 'could not sweep stuck sync');
    }
  }
  return { check: result(options, maxRequeues, { requeued, failed, live, errors }), requeued, failed };
}

function result(
  options: StuckSweepOptions,
  maxRequeues: number,
  found: { requeued: string[]; failed: string[]; live: string[]; errors: Record<string, string> },
): CheckResult {
  const acted = found.requeued.length + found.failed.length;
  const erred = Object.keys(found.errors).length;
  return {
    checkName: 'stuck_syncs',
    severity: 'warning',
    status: acted > 0 || erred > 0 ? 'warn' : 'pass',
    observedValue: acted + erred,
    details: {
      stuck_after_ms: options.stuckAfterMs,
      max_requeues: maxRequeues,
      requeued: found.requeued,
      failed: found.failed,
      quiet_with_live_job: found.live.length,
      ...(erred > 0 ? { errors: found.errors } : {}),
    },
  };
}
