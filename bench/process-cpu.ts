/**
 * CPU time per process group, read from /proc, so a throughput figure can be split into where the
 * machine's cores actually went (load generator, server, Postgres, Redis). On a 2-core box shared
 * by all of them, requests/s is bounded by the sum of CPU per request, not by any one process.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: Linux reports utime/stime in clock ticks of 1/100 s on every supported architecture. */
const TICK_MS = 10;

export interface CpuGroups {
  /** Label → a pid, or a process name (/proc/<pid>/comm) matching every process of that name. */
  [label: string]: number | string;
}

/** Label → pid → CPU ms used so far. */
export type CpuSnapshot = Record<string, Map<number, number>>;

/** CPU ms (user + system) a process has used so far; 0 once it has exited. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces or parentheses; the fields after it start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0; // exited between listing and reading
  }
}

function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** CPU ms used so far by each process of each group (our own via process.cpuUsage, finer than a tick). */
export function cpuSnapshot(groups: CpuGroups): CpuSnapshot {
  const out: CpuSnapshot = {};
  for (const [label, target] of Object.entries(groups)) {
    if (target === process.pid) {
      const usage = process.cpuUsage();
      out[label] = new Map([[process.pid, (usage.user + usage.system) / 1000]]);
    } else {
      const pids = typeof target === 'number' ? [target] : pidsNamed(target);
      out[label] = new Map(pids.map((pid) => [pid, cpuMsOf(pid)]));
    }
  }
  return out;
}

/**
 * CPU ms per group between two snapshots. A process that started in between counts from zero; one
 * that exited in between counts as nothing (its last ticks are lost, which only matters for
 * short-lived backends).
 */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [label, pids] of Object.entries(after)) {
    let sum = 0;
    for (const [pid, ms] of pids) sum += ms - (before[label]?.get(pid) ?? 0);
    out[label] = sum;
  }
  return out;
}
