import { createDb } from '@ach/db';
import { createLogger } from '@ach/observability';
import { createMonitorMetrics } from '../../../services/monitor/src/metrics/monitor-metrics.ts';
import { code, table, type SectionResult } from '../markdown.ts';
import { metricDefinitions, type MetricDefinition } from '../scan/api-document.ts';

function rows(metrics: readonly MetricDefinition[]): string[][] {
  return metrics
    .map((m) => [code(m.name), m.type, (m.labelNames ?? []).map(code).join(', ') || '—', m.help])
    .sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The monitor's registry, built as the monitor builds it (its gauges read the database only on scrape). */
async function monitorMetrics(): Promise<MetricDefinition[]> {
  const db = createDb('postgres://docs@127.0.0.1:5432/docs');
  try {
    return metricDefinitions(createMonitorMetrics({ db, log: createLogger({ name: 'docs-reference', level: 'silent' }) }).registry);
  } finally {
    await db.destroy();
  }
}

export async function metricsSection(apiMetrics: readonly MetricDefinition[]): Promise<SectionResult> {
  const problems: string[] = [];
  const monitor = await monitorMetrics();
  for (const m of [...apiMetrics, ...monitor]) if (!m.help) problems.push(`metric ${m.name} has no help text`);
  const body = [
    'Prometheus text format at `/metrics` (the API on its port, the monitor on `MONITOR_METRICS_PORT`); with',
    '`METRICS_TOKEN` set, only `Authorization: Bearer <METRICS_TOKEN>` may read them. Read from the processes\' registries.',
    '',
    '### API',
    '',
    table(['metric', 'type', 'labels', 'help'], rows(apiMetrics)),
    '',
    '### Monitor',
    '',
    'The gauges show the latest recorded quality run, read from the database on scrape (so every replica reports the',
    'same figures); the counters count what this process did.',
    '',
    table(['metric', 'type', 'labels', 'help'], rows(monitor)),
  ].join('\n');
  return { section: { title: 'Metrics', body }, problems };
}
