import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { Logger } from '@ach/observability';
import type { CheckMode, CheckResult, OverallStatus } from '../quality/check-result.ts';
import type { AlertChannel } from './alert-channel.ts';
import { appendAlertLog, readAlertMemory, type DeliveryReport } from './alert-log-repository.ts';
import { buildAlertMessage } from './alert-message.ts';
import { decideAlert, type AlertKind } from './alert-policy.ts';
import { DEFAULT_RETRY_POLICY, deliverWithRetry, type RetryPolicy } from './deliver-with-retry.ts';

export interface RunToAnnounce {
  id: number;
  runAt: Date;
  mode: CheckMode;
  status: OverallStatus;
  checks: CheckResult[];
}

export type NotifyOutcome = { kind: AlertKind | 'none'; deliveries: Record<string, DeliveryReport> } | { kind: 'error'; error: string };

export interface AlertNotifier {
  /** Decides, sends and records; never throws (a failure is logged and reported in the outcome). */
  notify(run: RunToAnnounce): Promise<NotifyOutcome>;
  close(): Promise<void>;
}

export interface AlertNotifierDeps {
  db: Kysely<Database>;
  channels: AlertChannel[];
  repeatAfterMs: number;
  log: Logger;
  retry?: RetryPolicy;
  onDelivery?: (channel: string, ok: boolean) => void;
}

/**
 * Tells operators when the overall status changes (see alert-policy.ts), through every configured
 * channel at once, each retried with backoff. Callers hold the quality-run lock, so two replicas
 * never decide on the same state at once and a change is announced exactly once.
 */
export function createAlertNotifier(deps: AlertNotifierDeps): AlertNotifier {
  const retry = deps.retry ?? DEFAULT_RETRY_POLICY;
  return {
    async notify(run) {
      try {
        const { memory, now } = await readAlertMemory(deps.db, run.status);
        const decision = decideAlert({ status: run.status, memory, now, repeatAfterMs: deps.repeatAfterMs });
        if (decision.kind === 'none') return { kind: 'none', deliveries: {} };
        if (decision.kind === 'suppressed') {
          deps.log.info({ status: run.status, monitoringLogId: run.id }, 'alert suppressed: the same status was alerted recently');
          await appendAlertLog(deps.db, {
            kind: 'suppressed', status: run.status, previousStatus: decision.previous, monitoringLogId: run.id,
            summary: `${run.status} again within the repeat window; not sent`, deliveries: {},
          });
          return { kind: 'suppressed', deliveries: {} };
        }
        const message = buildAlertMessage({ kind: decision.kind, status: run.status, previous: decision.previous, run });
        const deliveries: Record<string, DeliveryReport> = Object.fromEntries(
          await Promise.all(deps.channels.map(async (channel) => {
            const report = await deliverWithRetry(channel, message, retry, deps.log);
            deps.onDelivery?.(channel.name, report.ok);
            return [channel.name, report] as const;
          })),
        );
        const level = run.status === 'critical' ? 'error' : run.status === 'warning' ? 'warn' : 'info';
        deps.log[level]({ alert: decision.kind, status: run.status, previous: decision.previous, monitoringLogId: run.id, deliveries }, message.text);
        await appendAlertLog(deps.db, {
          kind: decision.kind, status: run.status, previousStatus: decision.previous, monitoringLogId: run.id, summary: message.subject, deliveries,
        });
        return { kind: decision.kind, deliveries };
      } catch (error) {
        deps.log.error({ err: error, monitoringLogId: run.id }, 'could not process alerts for the run');
        return { kind: 'error', error: (error as Error).message };
      }
    },
    async close() {
      await Promise.allSettled(deps.channels.map((c) => c.close?.()));
    },
  };
}
