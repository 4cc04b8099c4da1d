import type { RedisClient } from '@ach/queue';
import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { Logger } from '@ach/observability';
import { createSyncRunRepository } from '@ach/sync-runs';
import type { AlertNotifier, NotifyOutcome } from '../alerts/alert-notifier.ts';
import type { PlatformQueues } from '../queues/platform-queues.ts';
import { checkQueueHealth } from '../queues/queue-health.ts';
import { sweepStuckSyncs } from '../syncs/stuck-sync-sweep.ts';
import type { CheckMode, CheckResult, OverallStatus } from './check-result.ts';
import {
  backfillGhostUsers,
  orderChecks,
  recordRun,
  runRetention,
  runStart,
  runSqlChecks,
} from './quality-repository.ts';
import { withQualityRunLock, type QualityRunLock } from './run-lock.ts';

export interface QualitySettings {
  /** Repair ghost users as soon as a run finds them (audited in cleanup_audit_log). */
  autoBackfill: boolean;
  /** A live sync quiet for this long without a live job is re-enqueued or closed. */
  stuckSyncAfterMs: number;
  /** A job waiting longer than this makes the queue health check warn. */
  queueMaxWaitMs: number;
}

/** What the monitor's /metrics counts about its own work. */
export interface RunObserver {
  runFinished(mode: CheckMode | 'unknown', outcome: 'completed' | 'skipped' | 'failed'): void;
  ghostUsersRepaired(count: number): void;
  stuckSyncsSwept(requeued: number, failed: number): void;
}

export interface QualityRunDeps {
  db: Kysely<Database>;
  /** The advisory lock is held on a connection of its own (see run-lock.ts). */
  databaseUrl: string;
  /** A lock connection kept across runs (the monitor's); without it each run connects for its lock. */
  runLock?: QualityRunLock;
  log: Logger;
  queues: PlatformQueues;
  settings: QualitySettings;
  /** Omit to record without announcing (the next run that has a notifier announces the change). */
  notifier?: AlertNotifier;
  /** Lets live progress streams know when the sweep closes a run. */
  events?: { redis: RedisClient; prefix: string };
  observer?: RunObserver;
}

export interface QualityRunOptions {
  /** `incremental` runs in full when nothing was recorded yet. */
  mode: CheckMode;
  /** Wait this long for a run in progress elsewhere; 0 (default) skips when one is. */
  lockWaitMs?: number;
  signal?: AbortSignal;
  /** Who the auto-backfill is audited as (default `monitor`). */
  performedBy?: string;
  /** Apply retention (90-day monitor logs, 30-day tombstones); default: on full runs. */
  retention?: boolean;
}

export interface QualityRun {
  id: number;
  runAt: Date;
  mode: CheckMode;
  status: OverallStatus;
  checks: CheckResult[];
  repairedGhostUsers: string[];
  stuckSyncs: { requeued: string[]; failed: string[] };
  retention?: { tombstones: number; monitoringLogs: number };
  alert?: NotifyOutcome;
}

export type QualityRunOutcome = { ran: true; run: QualityRun } | { ran: false; reason: 'busy' };

/**
 * One quality run: the SQL checks (full, or incremental since the last run), the stuck-sync sweep and
 * queue health from BullMQ, the automatic ghost-user repair, one monitoring-log row for all of it,
 * retention, and the alert when the overall status changed. At most one run at a time across every
 * process (an advisory lock); a second caller waits up to `lockWaitMs`, then skips.
 */
export async function runQualityCheck(deps: QualityRunDeps, options: QualityRunOptions): Promise<QualityRunOutcome> {
  let outcome;
  try {
    const lockOptions = { waitMs: options.lockWaitMs ?? 0, signal: options.signal };
    outcome = deps.runLock
      ? await deps.runLock.withLock(lockOptions, () => runLocked(deps, options))
      : await withQualityRunLock(deps.databaseUrl, lockOptions, () => runLocked(deps, options));
  } catch (error) {
    deps.observer?.runFinished(options.mode, 'failed');
    throw error;
  }
  if (!outcome.acquired) {
    deps.log.info({ mode: options.mode }, 'another quality run is in progress; skipped');
    deps.observer?.runFinished(options.mode, 'skipped');
    return { ran: false, reason: 'busy' };
  }
  deps.observer?.runFinished(outcome.value.mode, 'completed');
  return { ran: true, run: outcome.value };
}

async function runLocked(deps: QualityRunDeps, options: QualityRunOptions): Promise<QualityRun> {
  const { db, log } = deps;
  const { startedAt, since } = await runStart(db, options.mode);
  const mode: CheckMode = since === null ? 'full' : 'incremental';

  const [firstChecks, stuck, queueHealth] = await Promise.all([
    runSqlChecks(db, since),
    sweepStuckSyncs(
      {
        repository: createSyncRunRepository({ db, log, ...(deps.events ? { redis: deps.events.redis, queuePrefix: deps.events.prefix } : {}) }),
        queues: deps.queues,
        log,
      },
      { stuckAfterMs: deps.settings.stuckSyncAfterMs },
    ),
    checkQueueHealth(deps.queues, { maxWaitMs: deps.settings.queueMaxWaitMs }),
  ]);
  deps.observer?.stuckSyncsSwept(stuck.requeued.length, stuck.failed.length);

  let sqlChecks = firstChecks;
  let repaired: string[] = [];
  const ghosts = sqlChecks.find((c) => c.checkName === 'ghost_users');
  if (deps.settings.autoBackfill && ghosts && (ghosts.observedValue ?? 0) > 0) {
    const listed = ghosts.details.truncated === false && Array.isArray(ghosts.details.ids) ? (ghosts.details.ids as string[]) : undefined;
    const backfill = await backfillGhostUsers(db, { dryRun: false, performedBy: options.performedBy ?? 'monitor', ...(listed ? { userIds: listed } : {}) });
    repaired = backfill.users.filter((u) => u.action === 'created').map((u) => u.userId);
    deps.observer?.ghostUsersRepaired(repaired.length);
    log.warn({ found: ghosts.observedValue, repaired: repaired.length, warnings: backfill.warnings }, 'ghost users repaired automatically');
    // Measured again, so the record shows what is left, not what was.
    if (repaired.length > 0) sqlChecks = markRepaired(await runSqlChecks(db, since), repaired);
  }

  const checks = orderChecks([...sqlChecks, stuck.check, queueHealth]);
  const recorded = await recordRun(db, { checks, mode, startedAt });
  log[recorded.status === 'healthy' ? 'info' : 'warn'](
    { monitoringLogId: recorded.id, mode, status: recorded.status, failing: checks.filter((c) => c.status !== 'pass').map((c) => c.checkName) },
    'quality check recorded',
  );

  let retention: QualityRun['retention'];
  if (options.retention ?? mode === 'full') {
    try {
      retention = await runRetention(db);
      log.info(retention, 'retention applied');
    } catch (error) {
      log.error({ err: error }, 'retention failed; it runs again with the next full check');
    }
  }

  const run: QualityRun = {
    id: recorded.id, runAt: startedAt, mode, status: recorded.status, checks, repairedGhostUsers: repaired,
    stuckSyncs: { requeued: stuck.requeued, failed: stuck.failed }, ...(retention ? { retention } : {}),
  };
  if (deps.notifier) run.alert = await deps.notifier.notify({ id: run.id, runAt: run.runAt, mode, status: run.status, checks });
  return run;
}

/** Ghost users found and repaired in the same run still deserve a word: `warn`, with who was repaired. */
function markRepaired(checks: CheckResult[], repaired: string[]): CheckResult[] {
  return checks.map((c) => {
    if (c.checkName !== 'ghost_users') return c;
    return {
      ...c,
      status: c.status === 'pass' ? 'warn' : c.status,
      details: { ...c.details, repaired: repaired.length, repaired_ids: repaired.slice(0, 1_000) },
    };
  });
}
