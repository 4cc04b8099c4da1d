import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import { createSyncRunRepository } from '@ach/sync-runs';
import type { BenchResult } from './bench-result.ts';

/**
 * What the full-sync scenarios share: a real worker process started from its entry point, its peak
 * RSS, and waiting for a run to succeed.
 */

/** Peak resident memory (VmHWM) of a process so far, in MB. */
export function vmHwmMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The run's stats once it succeeded; throws when it failed. */
export async function succeededRunStats<T>(db: Kysely<Database>, userId: string, syncId: string, timeoutMs: number): Promise<T> {
  const runs = createSyncRunRepository({ db });
  return waitFor(`sync ${syncId}`, timeoutMs, async () => {
    const row = await runs.byId(userId, syncId);
    if (!row) throw new Error(`sync ${syncId} not found`);
    if (row.status === 'failed') throw new Error(`sync failed: ${row.error_code} ${row.error_message}`);
    return row.status === 'succeeded' ? (row.stats as unknown as T) : undefined;
  });
}

export interface BenchWorker {
  child: ChildProcess;
  /** What it wrote to stderr, for the error a failed scenario reports. */
  stderr: string[];
  /** Its peak RSS once wired and connected, before any job: the idle baseline. */
  idleMb: number;
}

/** Starts a worker's main.ts with `env` (logs at warn, one job at a time) and measures it idle. */
export async function startBenchWorker(main: string, env: Record<string, string | undefined>): Promise<BenchWorker> {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  return { child, stderr, idleMb: vmHwmMb(child.pid!) };
}

/** The worker's peak RSS during the full sync beside the same process idle (target ≤ 200 MB). */
export function peakRssResult(peakMb: number, idleMb: number): BenchResult {
  return {
    metric: 'worker peak RSS (VmHWM) during the full sync',
    value: peakMb,
    unit: 'MB',
    baseline: { label: 'same worker process idle', value: idleMb },
    target: '≤ 200 MB',
    met: peakMb <= 200,
  };
}
