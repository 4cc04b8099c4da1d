import type { Logger } from '@ach/observability';

/**
 * Progress is cheap to compute and expensive to write: at most one write per `minIntervalMs`
 * (default 500 ms, i.e. ≤ 2 writes/s), the latest value wins, never blocking the sync.
 */
export interface ProgressReporter {
  report(progress: number): void;
  /** Waits for the write in flight; the final status write sets 100 itself. */
  settle(): Promise<void>;
}

export function createProgressReporter(options: {
  write: (progress: number) => Promise<void>;
  log: Logger;
  minIntervalMs?: number;
  now?: () => number;
}): ProgressReporter {
  const minIntervalMs = options.minIntervalMs ?? 500;
  const now = options.now ?? Date.now;
  let lastWriteAt = 0;
  let lastWritten = -1;
  let latest = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const write = () => {
    timer = undefined;
    if (latest <= lastWritten) return;
    const value = latest;
    lastWritten = value;
    lastWriteAt = now();
    inFlight = inFlight
      .then(() => options.write(value))
      .catch((error: unknown) => options.log.warn({ err: error }, 'progress write failed'));
  };

  return {
    report(progress) {
      latest = Math.max(latest, Math.min(99, Math.max(0, Math.floor(progress))));
      if (timer) return;
      const wait = lastWriteAt + minIntervalMs - now();
      if (wait <= 0) write();
      else timer = setTimeout(write, wait);
    },
    async settle() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}
