import { Counter, Histogram, type Registry } from 'prom-client';

export type ClientSyncOperation = 'pull' | 'push';
export type ClientSyncOutcome = 'ok' | 'conflict' | 'reset_required' | 'refused' | 'error';

/** Per-request figures of /sync-pull and /sync-push, on the app's /metrics registry. */
export interface ClientSyncMetrics {
  observe(operation: ClientSyncOperation, outcome: ClientSyncOutcome, seconds: number): void;
  records(operation: ClientSyncOperation, table: string, change: 'created' | 'updated' | 'deleted', count: number): void;
  conflicts(count: number): void;
}

export function createClientSyncMetrics(registry: Registry): ClientSyncMetrics {
  const duration = new Histogram({
    name: 'client_sync_request_duration_seconds',
    help: 'WatermelonDB sync requests: time to answer, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const records = new Counter({
    name: 'client_sync_records_total',
    help: 'Records sent by pulls and applied by pushes, by table and change',
    labelNames: ['operation', 'table', 'change'] as const,
    registers: [registry],
  });
  const conflicts = new Counter({
    name: 'client_sync_conflicts_total',
    help: 'Records that made a push fail with 409 conflict (changed on the server after the client pulled)',
    registers: [registry],
  });
  return {
    observe: (operation, outcome, seconds) => duration.observe({ operation, outcome }, seconds),
    records: (operation, table, change, count) => {
      if (count > 0) records.inc({ operation, table, change }, count);
    },
    conflicts: (count) => conflicts.inc(count),
  };
}
