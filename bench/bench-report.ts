/**
 * bench/results/latest.json: every scenario's latest run, one entry per scenario. A run of some
 * scenarios replaces only their entries, so `npm run bench sync-engine-write` refreshes that row and
 * keeps the others (each with its own time, scale and machine: rows of one table may come from
 * different runs, and the table says so).
 */
import { cpus, platform, release, arch, totalmem } from 'node:os';
import { z } from 'zod';
import type { BenchResult } from './bench-result.ts';

const machineSchema = z.object({
  cpus: z.number().int(),
  cpuModel: z.string(),
  memoryGb: z.number(),
  os: z.string(),
  node: z.string(),
});
export type MachineFacts = z.infer<typeof machineSchema>;

/** One figure as the report keeps it: named for the reader, explicit nulls rather than missing keys. */
const rowSchema = z.object({
  metric: z.string(),
  value: z.number().nullable(), // JSON has no NaN: a figure that could not be measured is null
  unit: z.string(),
  baseline: z.object({ name: z.string(), value: z.number().nullable() }).nullable(),
  ratio: z.number().nullable(),
  target: z.string().nullable(),
  /** Whether the target was met, when the scenario can tell; null when it has no verdict. */
  pass: z.boolean().nullable(),
  notes: z.string().nullable(),
});
export type ReportRow = z.infer<typeof rowSchema>;

const scenarioRunSchema = z.object({
  ranAt: z.iso.datetime(),
  scale: z.number(),
  seconds: z.number(),
  status: z.enum(['ok', 'failed']),
  error: z.string().nullable(),
  machine: machineSchema,
  results: z.array(rowSchema),
});
export type ScenarioRun = z.infer<typeof scenarioRunSchema>;

const reportSchema = z.object({
  schemaVersion: z.literal(1),
  updatedAt: z.iso.datetime(),
  scenarios: z.record(z.string(), scenarioRunSchema),
});
export type BenchReport = z.infer<typeof reportSchema>;

export function machineFacts(): MachineFacts {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

const finiteOrNull = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);

/** A scenario's results as the report keeps them. */
export function toReportRows(results: BenchResult[]): ReportRow[] {
  return results.map((r) => ({
    metric: r.metric,
    value: finiteOrNull(r.value),
    unit: r.unit,
    baseline: r.baseline ? { name: r.baseline.label, value: finiteOrNull(r.baseline.value) } : null,
    ratio: finiteOrNull(r.ratio),
    target: r.target ?? null,
    pass: r.met ?? null,
    notes: r.notes ?? null,
  }));
}

/**
 * The previous report (undefined when there is none yet) with these runs' entries replaced.
 * A file that is not a report is an error, not an empty report: overwriting it would lose results.
 */
export function mergeReport(previous: string | undefined, runs: Record<string, ScenarioRun>, now: Date): BenchReport {
  const before = previous === undefined ? undefined : parseReport(previous);
  // Re-rendering without new runs keeps the time of the last real update.
  const updatedAt = before && Object.keys(runs).length === 0 ? before.updatedAt : now.toISOString();
  return { schemaVersion: 1, updatedAt, scenarios: { ...before?.scenarios, ...runs } };
}

export function parseReport(text: string): BenchReport {
  const parsed = reportSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`not a bench report (bench/results/latest.json): ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
