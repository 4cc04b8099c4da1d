import { withinDeadline } from '@ach/runtime';
import type { CheckResult } from '../quality/check-result.ts';
import type { PlatformQueues } from './platform-queues.ts';

const COUNTED_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

export interface QueueReading {
  counts: Record<(typeof COUNTED_STATES)[number], number>;
  /** Age of the oldest job waiting to be picked up; null when none waits. */
  oldestWaitingAgeMs: number | null;
}

/**
 * Queue health: per platform queue the jobs waiting, active, delayed and failed, and how long the
 * oldest waiting job has waited. `warn` when a job waited longer than `maxWaitMs` (workers down or
 * far behind) or a queue could not be read (Redis away). Failed jobs are kept for a week by design
 * (Bull Board), so their number is reported, not judged.
 */
export async function checkQueueHealth(
  queues: PlatformQueues,
  options: { maxWaitMs: number; deadlineMs?: number; now?: () => number },
): Promise<CheckResult> {
  const deadlineMs = options.deadlineMs ?? 2_000;
  const now = options.now ?? Date.now;
  const readings: Record<string, QueueReading> = {};
  const errors: Record<string, string> = {};
  let platformQueues;
  try {
    platformQueues = await queues.list();
  } catch (error) {
    return unreadable({ platforms: (error as Error).message }, options.maxWaitMs);
  }
  await Promise.all(
    platformQueues.map(async ({ queue }) => {
      try {
        const [counts, oldest] = await withinDeadline(
          Promise.all([queue.getJobCounts(...COUNTED_STATES), queue.getJobs(['wait'], 0, 0, true)]),
          deadlineMs,
          `queue ${queue.name}`,
        );
        const first = oldest[0];
        readings[queue.name] = {
          counts: Object.fromEntries(COUNTED_STATES.map((s) => [s, counts[s] ?? 0])) as QueueReading['counts'],
          oldestWaitingAgeMs: first ? Math.max(0, now() - first.timestamp) : null,
        };
      } catch (error) {
        errors[queue.name] = (error as Error).message;
      }
    }),
  );
  if (Object.keys(errors).length > 0 && Object.keys(readings).length === 0) return unreadable(errors, options.maxWaitMs);
  const oldest = Math.max(0, ...Object.values(readings).map((r) => r.oldestWaitingAgeMs ?? 0));
  const late = Object.entries(readings).filter(([, r]) => (r.oldestWaitingAgeMs ?? 0) > options.maxWaitMs).map(([name]) => name);
  return {
    checkName: 'queue_health',
    severity: 'warning',
    status: late.length > 0 || Object.keys(errors).length > 0 ? 'warn' : 'pass',
    observedValue: Math.round(oldest / 1000),
    details: { max_wait_ms: options.maxWaitMs, late_queues: late.sort(), queues: readings, ...(Object.keys(errors).length > 0 ? { errors } : {}) },
  };
}

function unreadable(errors: Record<string, string>, maxWaitMs: number): CheckResult {
  return { checkName: 'queue_health', severity: 'warning', status: 'warn', observedValue: null, details: { max_wait_ms: maxWaitMs, queues: {}, errors } };
}
