import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../../..');
const rulesDir = join(root, 'deploy/prometheus');
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

const rules = parse(readFileSync(join(rulesDir, 'alerts.yml'), 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string; labels?: { severity?: string } }[] }[] };
const alerts = rules.groups.flatMap((g) => g.rules);

describe('deploy/prometheus/alerts.yml', () => {
  // .ci/run installs Debian's prometheus package when promtool is missing; elsewhere it may be absent.
  it.skipIf(!promtool)('promtool check rules accepts it (skipped only when promtool is not installed: apt-get install prometheus)', () => {
    const run = spawnSync('promtool', ['check', 'rules', join(rulesDir, 'alerts.yml')], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it.skipIf(!promtool)('promtool test rules: each alert tested fires on the series it is meant for (alerts.test.yml)', () => {
    const run = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: rulesDir, encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it('reads only metrics the API and the monitor export (or Prometheus\' own up)', () => {
    const exporters = ['services/api/src/plugins/metrics.ts', 'services/monitor/src/metrics/monitor-metrics.ts'].map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
    const exported = new Set([...exporters.matchAll(/name: '([a-z_]+)'|gauge\('([a-z_]+)'/g)].map((m) => m[1] ?? m[2]!));
    // A histogram's series are <name>_count / _sum / _bucket.
    const known = (metric: string) => metric === 'up' || exported.has(metric) || exported.has(metric.replace(/_(count|sum|bucket)$/, ''));
    // Drop label matchers, grouping clauses and range selectors; what stays are functions and metric names.
    const bare = (expr: string) => expr.replace(/\{[^}]*\}/g, '').replace(/\bby\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
    const functionsAndKeywords = new Set(['max', 'sum', 'rate', 'delta', 'time', 'and', 'or', 'unless']);
    const used = new Set(alerts.flatMap((a) => [...bare(a.expr).matchAll(/\b([a-z_][a-z0-9_]*)\b/g)].map((m) => m[1]!)).filter((name) => !functionsAndKeywords.has(name)));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((m) => !known(m))).toEqual([]);
    // The ones the runbook relies on are there.
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining(['DataQualityCritical', 'DataQualityWarning', 'GhostUsersPresent', 'SyncQueueOldestWaiting', 'SyncWorkerDown', 'SyncJobsFailing', 'ApiHighErrorRate']),
    );
  });

  it('every alert has a severity of critical or warning', () => {
    expect(alerts.filter((a) => !['critical', 'warning'].includes(a.labels?.severity ?? '')).map((a) => a.alert)).toEqual([]);
  });
});
