import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '@ach/db';
import { checkFromRow, checkToRow, OVERALL_STATUSES, storedCheckSchema, type CheckMode, type CheckResult, type OverallStatus } from './check-result.ts';

/**
 * The monitor's calls into the SQL functions of db/migrations/0007_quality_checks.ts — the same ones
 * an operator runs from psql, so the monitor and the runbook can never disagree on what a check means.
 */

/** Display order of the checks; a check not listed here (a newer one) follows, by name. */
export const CHECK_ORDER = [
  'ghost_users',
  'auth_triggers',
  'auth_users_parity',
  'progress_parity',
  'orphaned_profiles',
  'unresolved_sync_failures',
  'stuck_syncs',
  'sync_failure_rate',
  'queue_health',
  'expiring_refresh_tokens',
] as const;

export function orderChecks(checks: CheckResult[]): CheckResult[] {
  const rank = (name: string) => {
    const i = (CHECK_ORDER as readonly string[]).indexOf(name);
    return i === -1 ? CHECK_ORDER.length : i;
  };
  return [...checks].sort((a, b) => rank(a.checkName) - rank(b.checkName) || a.checkName.localeCompare(b.checkName));
}

/** All SQL checks: in full (`since` null) or incremental from `since`. */
export async function runSqlChecks(db: Kysely<Database>, since: Date | null): Promise<CheckResult[]> {
  const { rows } = await sql`select * from public.run_user_sync_quality_check(${since}::timestamptz)`.execute(db);
  return rows.map(checkFromRow);
}

/**
 * When a run starts (the database's clock) and, for an incremental run, where it starts looking
 * (null: nothing recorded yet, so it runs in full) — one round trip.
 */
export async function runStart(db: Kysely<Database>, mode: CheckMode): Promise<{ startedAt: Date; since: Date | null }> {
  const { rows } = await sql<{ now: Date; since: Date | null }>`
    select clock_timestamp() as now, case when ${mode === 'incremental'} then public.quality_check_window_start() end as since
  `.execute(db);
  return { startedAt: rows[0]!.now, since: rows[0]!.since ?? null };
}

/** The database's clock, so run_at and the incremental windows never depend on this host's. */
export async function databaseNow(db: Kysely<Database>): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(db);
  return rows[0]!.now;
}

/** Writes the run's monitoring-log row; returns its id and overall status. */
export async function recordRun(
  db: Kysely<Database>,
  run: { checks: CheckResult[]; mode: CheckMode; startedAt: Date },
): Promise<{ id: number; status: OverallStatus }> {
  // One statement: the materialized CTE inserts first, then currval (per session) names the row
  // this call inserted, whoever else writes.
  const { rows } = await sql<{ status: string; id: number }>`
    with recorded as materialized (
      select public.record_user_sync_metrics(${JSON.stringify(run.checks.map(checkToRow))}::jsonb, ${run.mode}, ${run.startedAt}::timestamptz) as status
    )
    select r.status, currval(pg_get_serial_sequence('public.user_sync_monitoring_log', 'id')) as id from recorded r
  `.execute(db);
  return { id: rows[0]!.id, status: z.enum(OVERALL_STATUSES).parse(rows[0]!.status) };
}

export interface RecordedRunView {
  id: number;
  runAt: Date;
  checkType: CheckMode;
  status: OverallStatus;
  checks: CheckResult[];
  ghostUsers: number;
  orphanedProfiles: number;
  totalAuthUsers: number;
  totalPublicUsers: number;
  durationMs: number | null;
  lastFullRunAt: Date | null;
}

const latestRowSchema = z.object({
  id: z.number(),
  run_at: z.date(),
  check_type: z.enum(['full', 'incremental']),
  status: z.enum(OVERALL_STATUSES),
  checks: z.record(z.string(), storedCheckSchema),
  ghost_users: z.number(),
  orphaned_profiles: z.number(),
  total_auth_users: z.number(),
  total_public_users: z.number(),
  duration_ms: z.number().nullable(),
  last_full_run_at: z.date().nullable(),
});

/** The latest recorded run (what the dashboard's status card and the /metrics gauges show), or undefined. */
export async function latestStatus(db: Kysely<Database>): Promise<RecordedRunView | undefined> {
  const { rows } = await sql`select * from public.get_latest_sync_status()`.execute(db);
  if (rows.length === 0) return undefined;
  const row = latestRowSchema.parse(rows[0]);
  return {
    id: row.id,
    runAt: row.run_at,
    checkType: row.check_type,
    status: row.status,
    checks: orderChecks(Object.entries(row.checks).map(([checkName, c]) => ({
      checkName, status: c.status, severity: c.severity, observedValue: c.observed_value, details: c.details,
    }))),
    ghostUsers: row.ghost_users,
    orphanedProfiles: row.orphaned_profiles,
    totalAuthUsers: row.total_auth_users,
    totalPublicUsers: row.total_public_users,
    durationMs: row.duration_ms,
    lastFullRunAt: row.last_full_run_at,
  };
}

const historyRowSchema = z.object({
  id: z.number(),
  run_at: z.date(),
  check_type: z.enum(['full', 'incremental']),
  status: z.enum(OVERALL_STATUSES),
  ghost_users: z.number(),
  orphaned_profiles: z.number(),
  total_auth_users: z.number(),
  total_public_users: z.number(),
  duration_ms: z.number().nullable(),
  failing_checks: z.array(z.string()),
});

export interface HistoryEntry {
  id: number;
  runAt: Date;
  checkType: CheckMode;
  status: OverallStatus;
  ghostUsers: number;
  orphanedProfiles: number;
  totalAuthUsers: number;
  totalPublicUsers: number;
  durationMs: number | null;
  failingChecks: string[];
}

export const MAX_HISTORY_DAYS = 366;

/** Every run of the last `days` days (1–366), oldest first. */
export async function statusHistory(db: Kysely<Database>, days: number): Promise<HistoryEntry[]> {
  const valid = z.number().int().min(1).max(MAX_HISTORY_DAYS).parse(days);
  const { rows } = await sql`select * from public.get_sync_status_history(${valid}::integer)`.execute(db);
  return rows.map((r) => {
    const row = historyRowSchema.parse(r);
    return {
      id: row.id, runAt: row.run_at, checkType: row.check_type, status: row.status, ghostUsers: row.ghost_users,
      orphanedProfiles: row.orphaned_profiles, totalAuthUsers: row.total_auth_users, totalPublicUsers: row.total_public_users,
      durationMs: row.duration_ms, failingChecks: row.failing_checks,
    };
  });
}

export interface AuthTriggerState {
  triggerName: string;
  present: boolean;
  enabled: boolean;
  functionName: string | null;
}

export async function authTriggerStatus(db: Kysely<Database>): Promise<AuthTriggerState[]> {
  const { rows } = await sql<{ trigger_name: string; present: boolean; enabled: boolean; function_name: string | null }>`
    select * from public.auth_trigger_status()`.execute(db);
  return rows.map((r) => ({ triggerName: r.trigger_name, present: r.present, enabled: r.enabled, functionName: r.function_name }));
}

/** Why a backfill is not the whole fix: the same pre-flight backfill_ghost_users() raises as WARNINGs. */
export function backfillWarnings(triggers: AuthTriggerState[]): string[] {
  const created = triggers.find((t) => t.triggerName === 'on_auth_user_created');
  if (!created?.present) return ['on_auth_user_created is missing on auth.users: new signups will keep creating ghost users'];
  if (!created.enabled) return ['on_auth_user_created is disabled: new signups will keep creating ghost users'];
  return [];
}

export type BackfillAction = 'would_create' | 'created' | 'already_present' | 'failed';

export interface BackfillResult {
  dryRun: boolean;
  warnings: string[];
  users: { userId: string; email: string | null; authCreatedAt: Date; action: BackfillAction }[];
}

/**
 * backfill_ghost_users(): a dry run lists the ghost users and writes nothing; a real run creates
 * their profiles and audits it in cleanup_audit_log. `userIds` limits it to those users.
 */
export async function backfillGhostUsers(
  db: Kysely<Database>,
  options: { dryRun: boolean; performedBy?: string; userIds?: readonly string[] },
): Promise<BackfillResult> {
  const warnings = backfillWarnings(await authTriggerStatus(db));
  const userIds = options.userIds ? z.array(z.uuid()).parse(options.userIds) : null;
  const { rows } = await sql<{ user_id: string; email: string | null; auth_created_at: Date; action: BackfillAction }>`
    select * from public.backfill_ghost_users(${options.dryRun}, ${options.performedBy ?? null}, ${userIds}::uuid[])
  `.execute(db);
  return {
    dryRun: options.dryRun,
    warnings,
    users: rows.map((r) => ({ userId: r.user_id, email: r.email, authCreatedAt: r.auth_created_at, action: r.action })),
  };
}

/** Retention, audited by the functions themselves: tombstones after 30 days, monitor logs after 90. */
export async function runRetention(db: Kysely<Database>): Promise<{ tombstones: number; monitoringLogs: number }> {
  const tombstones = await sql<{ n: number }>`select public.cleanup_old_tombstones() as n`.execute(db);
  const logs = await sql<{ n: number }>`select public.cleanup_old_monitoring_logs() as n`.execute(db);
  return { tombstones: tombstones.rows[0]!.n, monitoringLogs: logs.rows[0]!.n };
}
