/**
 * `npm run bench [scenario…] [--readme] [--report-only]`: runs every scenario in bench/scenarios (or
 * the named ones) and prints each figure beside the baseline measured in the same run. Nothing is
 * asserted: this machine is shared and noisy, so only same-run ratios mean anything.
 *
 * Every scenario's result is merged into bench/results/latest.json (its entry replaced, the others
 * kept) and rendered to bench/results/latest.md. The table goes into README.md (between
 * `<!-- bench:start -->` and `<!-- bench:end -->`) with --readme, or after a run of every scenario
 * at BENCH_SCALE=1. --report-only runs nothing: it re-renders latest.md (and README with --readme).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_REPORT_PATHS, recordRuns, writeReadmeTable } from './bench-report-files.ts';
import { machineFacts, toReportRows } from './bench-report.ts';
import type { BenchResult, BenchScenario } from './bench-result.ts';
import { formatFigure as fmt } from './report-markdown.ts';

const FLAGS = ['--readme', '--report-only'];
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const wanted = args.filter((a) => !a.startsWith('--'));
const unknownFlags = [...flags].filter((f) => !FLAGS.includes(f));
if (unknownFlags.length > 0) {
  console.error(`unknown option ${unknownFlags.join(', ')}; options: ${FLAGS.join(', ')}`);
  process.exit(2);
}

const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'scenarios');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();
const unknownScenarios = wanted.filter((name) => !available.includes(name));
if (unknownScenarios.length > 0) {
  console.error(`unknown scenario ${unknownScenarios.join(', ')}; scenarios: ${available.join(', ')}`);
  process.exit(2);
}
// Each scenario file is named after its scenario, so only the ones asked for are imported.
const names = flags.has('--report-only') ? [] : available.filter((name) => wanted.length === 0 || wanted.includes(name));
const ctx = {
  postgresAdminUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  scale: Number(process.env.BENCH_SCALE ?? '1'),
};
const machine = machineFacts();

const all: BenchResult[] = [];
// Read (and check) the existing report before measuring anything: a file that is not a report
// fails now, not after an hour of benchmarks.
let report = recordRuns(DEFAULT_REPORT_PATHS, {});
for (const name of names) {
  const scenario = ((await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { default: BenchScenario }).default;
  console.log(`\n## ${scenario.name}`);
  const ranAt = new Date();
  const started = performance.now();
  const results: BenchResult[] = [];
  let error: string | null = null;
  try {
    for (const r of await scenario.run(ctx)) {
      r.scenario ??= scenario.name;
      if (r.baseline && r.ratio === undefined && r.baseline.value !== 0) r.ratio = r.value / r.baseline.value;
      results.push(r);
      const base = r.baseline ? `   baseline (${r.baseline.label}): ${fmt(r.baseline.value)} ${r.unit}   ratio ${fmt(r.ratio ?? NaN)}×` : '';
      const target = r.target ? `   target ${r.target}${r.met === undefined ? '' : r.met ? ' ✓' : ' ✗'}` : '';
      console.log(`  ${r.metric}: ${fmt(r.value)} ${r.unit}${base}${target}${r.notes ? `   (${r.notes})` : ''}`);
    }
  } catch (failure) {
    console.log(`  FAILED: ${(failure as Error).stack ?? failure}`);
    error = (failure as Error).message ?? String(failure);
    process.exitCode = 1;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`  (${seconds.toFixed(1)} s)`);
  all.push(...results);
  // Recorded as each scenario ends: a long run that dies half-way keeps what it measured.
  report = recordRuns(DEFAULT_REPORT_PATHS, {
    [scenario.name]: {
      ranAt: ranAt.toISOString(),
      scale: ctx.scale,
      seconds: Math.round(seconds * 10) / 10,
      status: error === null ? 'ok' : 'failed',
      error,
      machine,
      results: error === null ? toReportRows(results) : [],
    },
  });
}
const everyScenarioAtFullScale = !flags.has('--report-only') && wanted.length === 0 && ctx.scale === 1;
if (flags.has('--readme') || everyScenarioAtFullScale) {
  writeReadmeTable(DEFAULT_REPORT_PATHS, report);
  console.log(`\nREADME.md bench table updated from ${join('bench', 'results', 'latest.json')}`);
}
console.log(`\nreport: bench/results/latest.json, bench/results/latest.md`);
if (process.env.BENCH_JSON) console.log(JSON.stringify(all, null, 2));
