import { z } from 'zod';

export const CHECK_STATUSES = ['pass', 'warn', 'fail'] as const;
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export const OVERALL_STATUSES = ['healthy', 'warning', 'critical'] as const;

export type CheckStatus = (typeof CHECK_STATUSES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type OverallStatus = (typeof OVERALL_STATUSES)[number];
export type CheckMode = 'full' | 'incremental';

/**
 * One check of a run, as `run_user_sync_quality_check()` returns it and the monitor's own checks
 * (stuck syncs, queue health) produce it. `status` says what was found, `severity` what a failure
 * of this check means for the overall status (see `quality_overall_status` in the migration).
 */
export interface CheckResult {
  checkName: string;
  status: CheckStatus;
  severity: Severity;
  /** A count, a rate or an age; null when the check could not measure. */
  observedValue: number | null;
  details: Record<string, unknown>;
}

/** A row of run_user_sync_quality_check() (numeric arrives as a number: see @ach/db's type parsers). */
export const checkRowSchema = z.object({
  check_name: z.string().min(1),
  status: z.enum(CHECK_STATUSES),
  severity: z.enum(SEVERITIES),
  observed_value: z.number().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export function checkFromRow(row: unknown): CheckResult {
  const parsed = checkRowSchema.parse(row);
  return { checkName: parsed.check_name, status: parsed.status, severity: parsed.severity, observedValue: parsed.observed_value, details: parsed.details };
}

/** The shape record_user_sync_metrics(p_checks) takes. */
export function checkToRow(check: CheckResult): z.infer<typeof checkRowSchema> {
  return { check_name: check.checkName, status: check.status, severity: check.severity, observed_value: check.observedValue, details: check.details };
}

/** A check as stored in user_sync_monitoring_log.checks (keyed by name). */
export const storedCheckSchema = checkRowSchema.omit({ check_name: true });

export const OVERALL_STATUS_RANK: Record<OverallStatus, number> = { healthy: 0, warning: 1, critical: 2 };
export const CHECK_STATUS_RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 };
