import type { Kysely } from 'kysely';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Database } from '@ach/db';
import type { Logger } from '@ach/observability';
import { withinDeadline } from '@ach/runtime';
import { CHECK_STATUS_RANK, OVERALL_STATUS_RANK } from '../quality/check-result.ts';
import { latestStatus, type RecordedRunView } from '../quality/quality-repository.ts';
import type { RunObserver } from '../quality/run-quality-check.ts';

export interface MonitorMetrics extends RunObserver {
  registry: Registry;
  alertDelivered(channel: string, ok: boolean): void;
}

/**
 * The monitor's Prometheus metrics. The check gauges show the latest recorded run read from the
 * database on scrape (at most once per `cacheMs`, shared by concurrent scrapes), so every replica
 * reports the same figures whichever of them ran the check; a reading that fails leaves the series
 * out of that scrape. Counters count what this process did.
 */
export function createMonitorMetrics(deps: { db: Kysely<Database>; log: Logger; cacheMs?: number }): MonitorMetrics {
  const registry = new Registry();
  const cacheMs = deps.cacheMs ?? 5_000;
  let reading: { expiresAt: number; latest: Promise<RecordedRunView | undefined | null> } | undefined;
  /** null: the database did not answer. */
  const latest = () => {
    const now = Date.now();
    if (!reading || now >= reading.expiresAt) {
      reading = {
        expiresAt: now + cacheMs,
        latest: withinDeadline(latestStatus(deps.db), 2_000, 'postgres').catch((error: unknown) => {
          deps.log.warn({ err: error }, 'could not read the latest quality run for /metrics');
          return null;
        }),
      };
    }
    return reading.latest;
  };

  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, run: RecordedRunView) => void) =>
    new Gauge<L>({
      name, help, labelNames, registers: [registry],
      async collect() {
        const run = await latest();
        this.reset();
        if (run) fill(this, run);
      },
    });

  gauge('monitor_quality_status', 'Overall status of the latest quality run: 0 healthy, 1 warning, 2 critical', [], (g, run) => g.set(OVERALL_STATUS_RANK[run.status]));
  gauge('monitor_quality_check_value', 'Observed value of each check in the latest quality run', ['check'], (g, run) => {
    for (const c of run.checks) if (c.observedValue !== null) g.set({ check: c.checkName }, c.observedValue);
  });
  gauge('monitor_quality_check_status', 'Status of each check in the latest quality run: 0 pass, 1 warn, 2 fail', ['check'], (g, run) => {
    for (const c of run.checks) g.set({ check: c.checkName }, CHECK_STATUS_RANK[c.status]);
  });
  gauge('monitor_quality_last_run_timestamp_seconds', 'When the latest quality run started (any kind)', [], (g, run) => g.set(run.runAt.getTime() / 1000));
  gauge('monitor_quality_last_full_run_timestamp_seconds', 'When the latest full quality run started', [], (g, run) => {
    if (run.lastFullRunAt) g.set(run.lastFullRunAt.getTime() / 1000);
  });
  gauge('monitor_quality_run_duration_seconds', 'How long the latest quality run took', ['check_type'], (g, run) => {
    if (run.durationMs !== null) g.set({ check_type: run.checkType }, run.durationMs / 1000);
  });
  gauge('monitor_users', 'Users counted by the latest full count (auth.users, public.users)', ['source'], (g, run) => {
    g.set({ source: 'auth' }, run.totalAuthUsers);
    g.set({ source: 'public' }, run.totalPublicUsers);
  });
  gauge('monitor_sync_failure_rate', 'Share of finished syncs in the last 24 h that failed for a reason of ours, per platform', ['platform'], (g, run) => {
    const platforms = run.checks.find((c) => c.checkName === 'sync_failure_rate')?.details.platforms;
    for (const [platform, p] of Object.entries((platforms ?? {}) as Record<string, { rate?: unknown }>)) {
      if (typeof p.rate === 'number') g.set({ platform }, p.rate);
    }
  });
  gauge('monitor_queue_jobs', 'Jobs per sync queue and state at the latest quality run', ['queue', 'state'], (g, run) => {
    for (const [queue, q] of Object.entries(queueReadings(run))) {
      for (const [state, n] of Object.entries(q.counts ?? {})) if (typeof n === 'number') g.set({ queue, state }, n);
    }
  });
  gauge('monitor_queue_oldest_waiting_seconds', 'Age of the oldest waiting job per sync queue at the latest quality run', ['queue'], (g, run) => {
    for (const [queue, q] of Object.entries(queueReadings(run))) g.set({ queue }, typeof q.oldestWaitingAgeMs === 'number' ? q.oldestWaitingAgeMs / 1000 : 0);
  });

  const runs = new Counter({ name: 'monitor_runs_total', help: 'Quality runs by this process', labelNames: ['check_type', 'outcome'] as const, registers: [registry] });
  const deliveries = new Counter({ name: 'monitor_alert_deliveries_total', help: 'Alert deliveries by channel and outcome', labelNames: ['channel', 'outcome'] as const, registers: [registry] });
  const repaired = new Counter({ name: 'monitor_ghost_users_repaired_total', help: 'Ghost users repaired by the automatic backfill', registers: [registry] });
  const swept = new Counter({ name: 'monitor_stuck_syncs_total', help: 'Stuck syncs handled by the sweep', labelNames: ['action'] as const, registers: [registry] });

  return {
    registry,
    runFinished: (mode, outcome) => runs.inc({ check_type: mode, outcome }),
    ghostUsersRepaired: (count) => repaired.inc(count),
    stuckSyncsSwept: (requeued, failed) => {
      swept.inc({ action: 'requeued' }, requeued);
      swept.inc({ action: 'failed' }, failed);
    },
    alertDelivered: (channel, ok) => deliveries.inc({ channel, outcome: ok ? 'delivered' : 'failed' }),
  };
}

function queueReadings(run: RecordedRunView): Record<string, { counts?: Record<string, unknown>; oldestWaitingAgeMs?: unknown }> {
  const queues = run.checks.find((c) => c.checkName === 'queue_health')?.details.queues;
  return (queues && typeof queues === 'object' ? queues : {}) as Record<string, { counts?: Record<string, unknown>; oldestWaitingAgeMs?: unknown }>;
}
