/**
 * `npm run bench [scenario…]`: runs every scenario in bench/scenarios (or the named ones) and prints
 * each figure beside the baseline measured in the same run. Nothing is asserted: this machine is
 * shared and noisy, so only same-run ratios mean anything.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult, BenchScenario } from './bench-result.ts';

const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'scenarios');
const wanted = process.argv.slice(2);
// Each scenario file is named after its scenario, so only the ones asked for are imported.
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && (wanted.length === 0 || wanted.includes(f.slice(0, -'.ts'.length))))
  .sort();
const ctx = {
  postgresAdminUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  scale: Number(process.env.BENCH_SCALE ?? '1'),
};

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));
const all: BenchResult[] = [];
for (const file of files) {
  const scenario = ((await import(pathToFileURL(join(dir, file)).href)) as { default: BenchScenario }).default;
  if (wanted.length > 0 && !wanted.includes(scenario.name)) continue;
  console.log(`\n## ${scenario.name}`);
  const started = performance.now();
  try {
    for (const r of await scenario.run(ctx)) {
      r.scenario ??= scenario.name;
      if (r.baseline && r.ratio === undefined && r.baseline.value !== 0) r.ratio = r.value / r.baseline.value;
      all.push(r);
      const base = r.baseline ? `   baseline (${r.baseline.label}): ${fmt(r.baseline.value)} ${r.unit}   ratio ${fmt(r.ratio ?? NaN)}×` : '';
      const target = r.target ? `   target ${r.target}${r.met === undefined ? '' : r.met ? ' ✓' : ' ✗'}` : '';
      console.log(`  ${r.metric}: ${fmt(r.value)} ${r.unit}${base}${target}${r.notes ? `   (${r.notes})` : ''}`);
    }
  } catch (error) {
    console.log(`  FAILED: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  }
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(all, null, 2));
