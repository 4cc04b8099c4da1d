import type { Kysely } from 'kysely';
import type { Database, SyncStatus } from '@ach/db';
import { latestStatus, recentAlerts, statusHistory, type AlertLogEntry, type HistoryEntry, type RecordedRunView } from '@ach/monitor';
import { createSyncRunRepository } from '@ach/sync-runs';

export const HISTORY_DAYS = 30;
const SYNC_WINDOW_MS = 24 * 3_600_000;
const STATUS_LEVEL = { healthy: 0, warning: 1, critical: 2 } as const;

/** The history chart's series, one point per hour that had runs (uPlot's column layout). */
export interface HistorySeries {
  /** Hour start, unix seconds. */
  t: number[];
  /** Worst overall status of the hour: 0 healthy, 1 warning, 2 critical. */
  status: number[];
  ghosts: number[];
  orphans: number[];
  /** Most checks not passing in one run of the hour. */
  failing: number[];
}

export interface SyncOutcomes {
  platforms: string[];
  statuses: readonly SyncStatus[];
  /** `platform` → `status` → runs. */
  counts: Record<string, Partial<Record<SyncStatus, number>>>;
}

export interface DashboardData {
  latest: RecordedRunView | undefined;
  /** progress_parity's count in the latest run. */
  parityBreaches: number | null;
  syncs: SyncOutcomes;
  history: HistorySeries;
  alerts: AlertLogEntry[];
}

/** Hourly buckets keep the page small: 30 days of 5-minute runs are 8,640 rows, 720 points at most. */
export function hourlySeries(entries: readonly HistoryEntry[]): HistorySeries {
  const series: HistorySeries = { t: [], status: [], ghosts: [], orphans: [], failing: [] };
  for (const entry of entries) {
    const hour = Math.floor(entry.runAt.getTime() / 3_600_000) * 3_600;
    const last = series.t.length - 1;
    const level = STATUS_LEVEL[entry.status];
    if (last >= 0 && series.t[last] === hour) {
      series.status[last] = Math.max(series.status[last]!, level);
      series.ghosts[last] = Math.max(series.ghosts[last]!, entry.ghostUsers);
      series.orphans[last] = Math.max(series.orphans[last]!, entry.orphanedProfiles);
      series.failing[last] = Math.max(series.failing[last]!, entry.failingChecks.length);
    } else {
      series.t.push(hour);
      series.status.push(level);
      series.ghosts.push(entry.ghostUsers);
      series.orphans.push(entry.orphanedProfiles);
      series.failing.push(entry.failingChecks.length);
    }
  }
  return series;
}

const SYNC_STATUSES: readonly SyncStatus[] = ['succeeded', 'failed', 'cancelled', 'running', 'queued'];

/** Everything the page shows, read in parallel: the latest run, 30 days of runs, syncs of the last 24 h, recent alerts. */
export async function loadDashboardData(db: Kysely<Database>): Promise<DashboardData> {
  const [latest, history, alerts, outcomes] = await Promise.all([
    latestStatus(db),
    statusHistory(db, HISTORY_DAYS),
    recentAlerts(db, 20),
    createSyncRunRepository({ db }).outcomeCounts(SYNC_WINDOW_MS),
  ]);
  const counts: SyncOutcomes['counts'] = {};
  for (const row of outcomes) (counts[row.platform] ??= {})[row.status] = row.runs;
  const parity = latest?.checks.find((c) => c.checkName === 'progress_parity');
  return {
    latest,
    parityBreaches: parity?.observedValue ?? null,
    syncs: { platforms: Object.keys(counts), statuses: SYNC_STATUSES, counts },
    history: hourlySeries(history),
    alerts,
  };
}
