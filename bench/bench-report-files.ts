/**
 * Where the bench report lives: bench/results/latest.json (merged, one entry per scenario),
 * bench/results/latest.md (rendered from it), and the table between README.md's bench markers.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeReport, type BenchReport, type ScenarioRun } from './bench-report.ts';
import { renderReportMarkdown, renderReportTable, spliceIntoReadme } from './report-markdown.ts';

export interface ReportPaths {
  resultsDir: string;
  readme: string;
}

export const DEFAULT_REPORT_PATHS: ReportPaths = {
  resultsDir: join(import.meta.dirname, 'results'),
  readme: join(import.meta.dirname, '..', 'README.md'),
};

/** Merges these runs into latest.json and rewrites latest.md; returns the merged report. */
export function recordRuns(paths: ReportPaths, runs: Record<string, ScenarioRun>, now = new Date()): BenchReport {
  const jsonPath = join(paths.resultsDir, 'latest.json');
  const report = mergeReport(existsSync(jsonPath) ? readFileSync(jsonPath, 'utf8') : undefined, runs, now);
  mkdirSync(paths.resultsDir, { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(paths.resultsDir, 'latest.md'), renderReportMarkdown(report));
  return report;
}

/** Puts the report's table into README.md between the bench markers. */
export function writeReadmeTable(paths: ReportPaths, report: BenchReport): void {
  writeFileSync(paths.readme, spliceIntoReadme(readFileSync(paths.readme, 'utf8'), renderReportTable(report)));
}
