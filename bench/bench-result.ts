/**
 * One measured figure beside its baseline from the same run. `higherIsBetter` decides how the ratio
 * reads against `target` (e.g. throughput ≥ 0.5× baseline, or time ≤ 20 µs added).
 */
export interface BenchResult {
  /** The scenario's name; the runner fills it in. */
  scenario?: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** value / baseline.value, computed by the runner when a baseline is given. */
  ratio?: number;
  target?: string;
  /** Whether the target was met, when the scenario can tell. Printed, never asserted. */
  met?: boolean;
  notes?: string;
}

export interface BenchScenario {
  name: string;
  run: (ctx: BenchContext) => Promise<BenchResult[]>;
}

export interface BenchContext {
  /** Superuser URL of a maintenance database: scenarios create and drop their own databases. */
  postgresAdminUrl: string;
  redisUrl: string;
  /** Scale factor from BENCH_SCALE (default 1); lets a quick smoke run use smaller sizes. */
  scale: number;
}
