import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordRuns, writeReadmeTable } from '../bench-report-files.ts';
import { mergeReport, parseReport, toReportRows, type BenchReport, type MachineFacts, type ScenarioRun } from '../bench-report.ts';
import { renderReportMarkdown, renderReportTable, spliceIntoReadme } from '../report-markdown.ts';

const machine: MachineFacts = { cpus: 2, cpuModel: 'Test CPU', memoryGb: 7.8, os: 'linux 6.1.0 x64', node: 'v24.11.0' };

function run(overrides: Partial<ScenarioRun> = {}): ScenarioRun {
  return { ranAt: '2026-01-02T03:04:05.000Z', scale: 1, seconds: 12.3, status: 'ok', error: null, machine, results: [], ...overrides };
}

const writeRows = toReportRows([
  {
    metric: 'engine write rate, new rows',
    value: 51234.5,
    unit: 'rows/s',
    baseline: { label: 'bare unnest upsert | same rows', value: 80000 },
    ratio: 0.6404,
    target: '≥ 0.5×',
    met: true,
  },
  { metric: 'no-change resync: rows written', value: 3, unit: 'rows', target: '0', met: false, notes: 'two\nlines' },
  { metric: 'peak RSS', value: Number.NaN, unit: 'MB' },
]);

describe('bench report rows', () => {
  it('name the baseline, say pass for met, and use null for what a scenario did not give (NaN included)', () => {
    expect(writeRows).toEqual([
      {
        metric: 'engine write rate, new rows',
        value: 51234.5,
        unit: 'rows/s',
        baseline: { name: 'bare unnest upsert | same rows', value: 80000 },
        ratio: 0.6404,
        target: '≥ 0.5×',
        pass: true,
        notes: null,
      },
      { metric: 'no-change resync: rows written', value: 3, unit: 'rows', baseline: null, ratio: null, target: '0', pass: false, notes: 'two\nlines' },
      { metric: 'peak RSS', value: null, unit: 'MB', baseline: null, ratio: null, target: null, pass: null, notes: null },
    ]);
  });
});

describe('merging a run into latest.json', () => {
  const previous: BenchReport = {
    schemaVersion: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
    scenarios: { 'a-scenario': run({ ranAt: '2026-01-01T00:00:00.000Z' }), 'b-scenario': run({ ranAt: '2026-01-01T00:00:00.000Z', scale: 0.1 }) },
  };

  it('replaces only the scenarios that ran and keeps every other one with its own time', () => {
    const now = new Date('2026-02-01T10:00:00.000Z');
    const merged = mergeReport(JSON.stringify(previous), { 'b-scenario': run({ ranAt: now.toISOString(), results: writeRows }) }, now);
    expect(merged.updatedAt).toBe(now.toISOString());
    expect(merged.scenarios['a-scenario']).toEqual(previous.scenarios['a-scenario']);
    expect(merged.scenarios['b-scenario']).toMatchObject({ ranAt: now.toISOString(), scale: 1, results: writeRows });
    // What was written reads back as the same report.
    expect(parseReport(JSON.stringify(merged))).toEqual(merged);
  });

  it('starts a report when there is none, and keeps the update time when nothing new ran', () => {
    const now = new Date('2026-02-01T10:00:00.000Z');
    expect(mergeReport(undefined, { x: run() }, now)).toEqual({ schemaVersion: 1, updatedAt: now.toISOString(), scenarios: { x: run() } });
    expect(mergeReport(JSON.stringify(previous), {}, now).updatedAt).toBe(previous.updatedAt);
  });

  it('refuses a file that is not a report rather than overwriting it', () => {
    expect(() => mergeReport('{"scenarios": []}', {}, new Date())).toThrow(/not a bench report/);
  });
});

describe('the Markdown table', () => {
  const report: BenchReport = {
    schemaVersion: 1,
    updatedAt: '2026-01-02T03:04:05.000Z',
    scenarios: {
      'sync-engine-write': run({ results: writeRows }),
      'api-sync-throughput': run({ status: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:5432\n    at stack', scale: 0.05 }),
    },
  };

  it('has a row per figure (value, baseline, ratio, target, verdict, scale, time), a row per failed scenario, and the machine', () => {
    expect(renderReportTable(report)).toBe(
      [
        '| Scenario | Metric | Value | Baseline (same run) | Ratio | Target | Met | Scale | Ran |',
        '| --- | --- | ---: | --- | ---: | --- | :---: | ---: | --- |',
        '| api-sync-throughput | **failed**: connect ECONNREFUSED 127.0.0.1:5432 |  |  |  |  |  | 0.05 | 2026-01-02 03:04 UTC |',
        '| sync-engine-write | engine write rate, new rows | 51235 rows/s | 80000 rows/s (bare unnest upsert \\| same rows) | 0.640× | ≥ 0.5× | ✓ | 1 | 2026-01-02 03:04 UTC |',
        '| sync-engine-write | no-change resync: rows written | 3.00 rows |  |  | 0 | ✗ | 1 | 2026-01-02 03:04 UTC |',
        '| sync-engine-write | peak RSS | — MB |  |  |  |  | 1 | 2026-01-02 03:04 UTC |',
        '',
        'Machine: 2 × Test CPU, 7.8 GB, linux 6.1.0 x64, Node v24.11.0.',
      ].join('\n'),
    );
  });

  it('names each machine when kept rows come from different ones', () => {
    const mixed = { ...report, scenarios: { ...report.scenarios, 'client-sync-pull': run({ machine: { ...machine, cpus: 16, cpuModel: 'Big CPU' } }) } };
    expect(renderReportTable(mixed)).toContain(
      ['Machines:', '', '- 2 × Test CPU, 7.8 GB, linux 6.1.0 x64, Node v24.11.0: api-sync-throughput, sync-engine-write', '- 16 × Big CPU, 7.8 GB, linux 6.1.0 x64, Node v24.11.0: client-sync-pull'].join('\n'),
    );
  });

  it('latest.md is a titled page around the same table', () => {
    const page = renderReportMarkdown(report);
    expect(page.startsWith('# Benchmark results\n')).toBe(true);
    expect(page).toContain('updated 2026-01-02 03:04 UTC');
    expect(page).toContain(`\n${renderReportTable(report)}\n`);
  });
});

describe('README splice', () => {
  const readme = 'intro\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nafter\n';

  it('replaces only what is between the markers, and splicing again changes nothing more', () => {
    const once = spliceIntoReadme(readme, '| new | table |');
    expect(once).toBe('intro\n\n<!-- bench:start -->\n| new | table |\n<!-- bench:end -->\n\nafter\n');
    expect(spliceIntoReadme(once, '| new | table |')).toBe(once);
  });

  it('fails when the markers are missing rather than guessing a place', () => {
    expect(() => spliceIntoReadme('no markers here\n', 'x')).toThrow(/no <!-- bench:start --> … <!-- bench:end --> section/);
    expect(() => spliceIntoReadme('<!-- bench:end -->\n<!-- bench:start -->\n', 'x')).toThrow(/bench:start/);
  });
});

describe('the report files', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('a run of one scenario merges into latest.json and latest.md, and --readme puts the whole table in README.md', () => {
    dir = mkdtempSync(join(tmpdir(), 'ach-bench-report-'));
    const paths = { resultsDir: join(dir, 'results'), readme: join(dir, 'README.md') };
    writeFileSync(paths.readme, '# Project\n\n<!-- bench:start -->\n<!-- bench:end -->\n');

    recordRuns(paths, { 'first-scenario': run({ results: writeRows }) }, new Date('2026-01-02T03:04:05.000Z'));
    const report = recordRuns(paths, { 'second-scenario': run({ ranAt: '2026-01-03T00:00:00.000Z', results: writeRows.slice(0, 1) }) }, new Date('2026-01-03T00:00:00.000Z'));
    writeReadmeTable(paths, report);

    const json = parseReport(readFileSync(join(paths.resultsDir, 'latest.json'), 'utf8'));
    expect(Object.keys(json.scenarios).sort()).toEqual(['first-scenario', 'second-scenario']);
    expect(json.scenarios['first-scenario']!.ranAt).toBe('2026-01-02T03:04:05.000Z');
    expect(readFileSync(join(paths.resultsDir, 'latest.md'), 'utf8')).toBe(renderReportMarkdown(json));
    expect(readFileSync(paths.readme, 'utf8')).toBe(`# Project\n\n<!-- bench:start -->\n${renderReportTable(json)}\n<!-- bench:end -->\n`);
  });
});
