/**
 * The bench report as Markdown: bench/results/latest.md, and the table `npm run bench -- --readme`
 * puts into README.md between the bench markers.
 */
import type { BenchReport, MachineFacts, ScenarioRun } from './bench-report.ts';

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** A figure with as many digits as mean something: 1234, 12.35, 0.0123. */
export function formatFigure(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? '✓' : '✗');
const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const machineLine = (m: MachineFacts) => `${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}`;

const tableRow = (cells: string[]) => `| ${cells.join(' | ')} |`;

function scenarioRows(name: string, run: ScenarioRun): string[] {
  const scaleAndTime = [String(run.scale), when(run.ranAt)];
  if (run.status === 'failed') return [tableRow([cell(name), `**failed**: ${cell((run.error ?? '').split('\n')[0]!)}`, '', '', '', '', '', ...scaleAndTime])];
  return run.results.map((r) =>
    tableRow([
      cell(name),
      cell(r.metric),
      `${formatFigure(r.value)} ${cell(r.unit)}`,
      r.baseline ? `${formatFigure(r.baseline.value)} ${cell(r.unit)} (${cell(r.baseline.name)})` : '',
      r.ratio === null ? '' : `${formatFigure(r.ratio)}×`,
      cell(r.target ?? ''),
      verdict(r.pass),
      ...scaleAndTime,
    ]),
  );
}

/** The table, then the machine(s) it was measured on. */
export function renderReportTable(report: BenchReport): string {
  const names = Object.keys(report.scenarios).sort();
  if (names.length === 0) return '_No benchmark results yet: `npm run bench -- --readme`._';
  const lines = [
    '| Scenario | Metric | Value | Baseline (same run) | Ratio | Target | Met | Scale | Ran |',
    '| --- | --- | ---: | --- | ---: | --- | :---: | ---: | --- |',
    ...names.flatMap((name) => scenarioRows(name, report.scenarios[name]!)),
  ];
  // Rows kept from earlier runs may come from another machine: name each one and its scenarios.
  const machines = new Map<string, string[]>();
  for (const name of names) {
    const line = machineLine(report.scenarios[name]!.machine);
    machines.set(line, [...(machines.get(line) ?? []), name]);
  }
  const machineNotes =
    machines.size === 1
      ? [`Machine: ${[...machines.keys()][0]}.`]
      : ['Machines:', '', ...[...machines].map(([line, scenarios]) => `- ${line}: ${scenarios.join(', ')}`)];
  return [...lines, '', ...machineNotes].join('\n');
}

/** bench/results/latest.md. */
export function renderReportMarkdown(report: BenchReport): string {
  return [
    '# Benchmark results',
    '',
    `Each scenario's latest run (\`npm run bench\`; bench/results/latest.json), updated ${when(report.updatedAt)}. A ratio is the`,
    'figure over a baseline measured in the same run on the same machine; across runs only ratios compare. A blank',
    '"Met" means the scenario gives no verdict for that figure.',
    '',
    renderReportTable(report),
    '',
  ].join('\n');
}

/** README.md with the text between the bench markers replaced by `table`. */
export function spliceIntoReadme(readme: string, table: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} section to put the bench table in`);
  return `${readme.slice(0, start + README_START.length)}\n${table}\n${readme.slice(end)}`;
}
