import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { OverallStatus } from '../quality/check-result.ts';
import type { AlertKind, AlertMemory } from './alert-policy.ts';

export interface DeliveryReport {
  ok: boolean;
  attempts: number;
  error?: string;
}

export interface AlertLogEntry {
  id: number;
  sentAt: Date;
  kind: AlertKind;
  status: OverallStatus;
  previousStatus: OverallStatus | null;
  monitoringLogId: number | null;
  summary: string;
  deliveries: Record<string, DeliveryReport>;
}

/**
 * `monitor_alert_log`: what was told to operators and when. It is the alert state every replica
 * shares and a restart keeps; the dashboard lists it as "recent alerts".
 */
/**
 * A message counts as told when it reached someone: at least one channel delivered it, or no channel
 * is configured (alerts only logged). One that every channel failed is sent again by the next run.
 */
const delivered = sql`(a.deliveries = '{}'::jsonb or exists (select 1 from jsonb_each(a.deliveries) d where (d.value ->> 'ok')::boolean))`;

export async function readAlertMemory(db: Kysely<Database>, status: OverallStatus): Promise<{ memory: AlertMemory; now: Date }> {
  // The database's clock for "now" and for sent_at: replicas on hosts with different clocks agree.
  const { rows } = await sql<{ told_status: OverallStatus | null; told_at: Date | null; last_alert_at: Date | null; now: Date }>`
    select clock_timestamp() as now,
           (select a.status from public.monitor_alert_log a where a.kind in ('alert', 'recovery', 'reminder') and ${delivered}
             order by a.sent_at desc, a.id desc limit 1) as told_status,
           (select a.sent_at from public.monitor_alert_log a where a.kind in ('alert', 'recovery', 'reminder') and ${delivered}
             order by a.sent_at desc, a.id desc limit 1) as told_at,
           (select max(a.sent_at) from public.monitor_alert_log a where a.kind in ('alert', 'reminder') and a.status = ${status} and ${delivered}) as last_alert_at
  `.execute(db);
  const row = rows[0]!;
  return {
    now: row.now,
    memory: {
      ...(row.told_status && row.told_at ? { told: { status: row.told_status, sentAt: row.told_at } } : {}),
      ...(row.last_alert_at ? { lastAlertOfStatusAt: row.last_alert_at } : {}),
    },
  };
}

export async function appendAlertLog(
  db: Kysely<Database>,
  entry: { kind: AlertKind; status: OverallStatus; previousStatus: OverallStatus; monitoringLogId: number | null; summary: string; deliveries: Record<string, DeliveryReport> },
): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    insert into public.monitor_alert_log (kind, status, previous_status, monitoring_log_id, summary, deliveries)
    values (${entry.kind}, ${entry.status}, ${entry.previousStatus}, ${entry.monitoringLogId}, ${entry.summary}, ${JSON.stringify(entry.deliveries)}::jsonb)
    returning id
  `.execute(db);
  return rows[0]!.id;
}

/** The newest first; for the dashboard. */
export async function recentAlerts(db: Kysely<Database>, limit = 20): Promise<AlertLogEntry[]> {
  const { rows } = await sql<{
    id: number; sent_at: Date; kind: AlertKind; status: OverallStatus; previous_status: OverallStatus | null;
    monitoring_log_id: number | null; summary: string; deliveries: Record<string, DeliveryReport>;
  }>`
    select id, sent_at, kind, status, previous_status, monitoring_log_id, summary, deliveries
      from public.monitor_alert_log order by sent_at desc, id desc limit ${Math.max(1, Math.min(500, Math.trunc(limit)))}
  `.execute(db);
  return rows.map((r) => ({
    id: r.id, sentAt: r.sent_at, kind: r.kind, status: r.status, previousStatus: r.previous_status,
    monitoringLogId: r.monitoring_log_id, summary: r.summary, deliveries: r.deliveries,
  }));
}
