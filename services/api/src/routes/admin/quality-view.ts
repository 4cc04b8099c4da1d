import { z } from 'zod';
import type { BackfillResult, CheckResult, HistoryEntry, QualityRun, RecordedRunView } from '@ach/monitor';

/** What the admin routes answer about quality runs: the monitor's results, in the API's spelling. */

const timestamp = () => z.iso.datetime({ offset: true });
const overallStatus = z.enum(['healthy', 'warning', 'critical']).describe('`critical`: a critical check failed; `warning`: another check did not pass; else `healthy`');
const checkType = z.enum(['full', 'incremental']);

export const checkSchema = z
  .object({
    name: z.string().describe('`ghost_users`, `auth_triggers`, `auth_users_parity`, `progress_parity`, `orphaned_profiles`, `unresolved_sync_failures`, `stuck_syncs`, `sync_failure_rate`, `queue_health`, `expiring_refresh_tokens`, …'),
    status: z.enum(['pass', 'warn', 'fail']),
    severity: z.enum(['critical', 'warning', 'info']).describe('What a failure of this check means for the overall status'),
    observedValue: z.number().nullable().describe('A count, a rate or an age; null when the check could not measure'),
    details: z.record(z.string(), z.unknown()).describe('What the check found (ids listed up to 1,000, `truncated` when there were more)'),
  })
  .meta({ id: 'QualityCheck' });

export const toCheckView = (check: CheckResult): z.infer<typeof checkSchema> => ({
  name: check.checkName,
  status: check.status,
  severity: check.severity,
  observedValue: check.observedValue,
  details: check.details,
});

export const qualityStatusSchema = z.object({
  id: z.number().int(),
  runAt: timestamp(),
  checkType,
  status: overallStatus,
  durationMs: z.number().int().nullable(),
  lastFullRunAt: timestamp().nullable(),
  users: z.object({
    auth: z.number().int().describe('auth.users rows (soft-deleted ones too), as of the latest count'),
    app: z.number().int().describe('public.users rows'),
    ghosts: z.number().int().describe('auth users without a profile'),
    orphans: z.number().int().describe('profiles whose auth user is soft-deleted'),
  }),
  checks: z.array(checkSchema),
});

export function toQualityStatusView(run: RecordedRunView): z.infer<typeof qualityStatusSchema> {
  return {
    id: run.id,
    runAt: run.runAt.toISOString(),
    checkType: run.checkType,
    status: run.status,
    durationMs: run.durationMs,
    lastFullRunAt: run.lastFullRunAt?.toISOString() ?? null,
    users: { auth: run.totalAuthUsers, app: run.totalPublicUsers, ghosts: run.ghostUsers, orphans: run.orphanedProfiles },
    checks: run.checks.map(toCheckView),
  };
}

export const qualityRunSchema = z.object({
  id: z.number().int().describe('The monitoring-log row this run wrote'),
  runAt: timestamp(),
  checkType,
  status: overallStatus,
  checks: z.array(checkSchema),
  repairedGhostUsers: z.array(z.string()).describe('Ghost users this run gave a profile (MONITOR_AUTO_BACKFILL), audited; the first 1,000'),
  stuckSyncs: z.object({
    requeued: z.array(z.string()).describe('Runs re-enqueued (sync ids)'),
    failed: z.array(z.string()).describe('Runs closed as failed'),
  }),
});

export function toQualityRunView(run: QualityRun): z.infer<typeof qualityRunSchema> {
  return {
    id: run.id,
    runAt: run.runAt.toISOString(),
    checkType: run.mode,
    status: run.status,
    checks: run.checks.map(toCheckView),
    repairedGhostUsers: run.repairedGhostUsers.slice(0, BACKFILL_LIST_LIMIT),
    stuckSyncs: run.stuckSyncs,
  };
}

export const historyEntrySchema = z.object({
  id: z.number().int(),
  runAt: timestamp(),
  checkType,
  status: overallStatus,
  ghostUsers: z.number().int(),
  orphanedProfiles: z.number().int(),
  totalAuthUsers: z.number().int(),
  totalPublicUsers: z.number().int(),
  durationMs: z.number().int().nullable(),
  failingChecks: z.array(z.string()).describe('Checks that did not pass'),
});

export const toHistoryEntryView = (entry: HistoryEntry): z.infer<typeof historyEntrySchema> => ({ ...entry, runAt: entry.runAt.toISOString() });

/** A backfill answer lists this many users at most (`truncated` says when there were more); the counts are complete. */
export const BACKFILL_LIST_LIMIT = 1_000;

export const backfillSchema = z.object({
  dryRun: z.boolean(),
  warnings: z.array(z.string()).describe('Why a backfill is not the whole fix (the signup trigger is missing or disabled)'),
  counts: z.object({
    wouldCreate: z.number().int().describe('Dry run: profiles a real run would create'),
    created: z.number().int(),
    alreadyPresent: z.number().int().describe('Repaired meanwhile (by the trigger, the app or another run)'),
    failed: z.number().int(),
  }),
  users: z.array(
    z.object({
      userId: z.string(),
      email: z.string().nullable(),
      authCreatedAt: timestamp(),
      action: z.enum(['would_create', 'created', 'already_present', 'failed']),
    }),
  ),
  truncated: z.boolean().describe(`More than ${BACKFILL_LIST_LIMIT} users: \`users\` lists the first ones`),
});

export function toBackfillView(result: BackfillResult): z.infer<typeof backfillSchema> {
  const count = (action: BackfillResult['users'][number]['action']) => result.users.filter((u) => u.action === action).length;
  return {
    dryRun: result.dryRun,
    warnings: result.warnings,
    counts: { wouldCreate: count('would_create'), created: count('created'), alreadyPresent: count('already_present'), failed: count('failed') },
    users: result.users.slice(0, BACKFILL_LIST_LIMIT).map((u) => ({ userId: u.userId, email: u.email, authCreatedAt: u.authCreatedAt.toISOString(), action: u.action })),
    truncated: result.users.length > BACKFILL_LIST_LIMIT,
  };
}
