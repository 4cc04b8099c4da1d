export interface BatchStageOptions<T> {
  /** Handles one batch and settles its items' callers itself; a throw goes to `onError`. */
  run: (batch: T[]) => Promise<void>;
  /** Items per batch at most. */
  maxBatch: number;
  /** How long an item may wait for the batch in flight to settle before starting its own. */
  maxWaitMs: number;
  /** A `run` that threw: its items' callers must not be left hanging. */
  onError: (batch: T[], error: unknown) => void;
}

export interface BatchStage<T> {
  push: (item: T) => void;
  /** Flushes what is waiting and resolves when every batch has settled. */
  close: () => Promise<void>;
}

/**
 * Group commit for one round trip (a Postgres statement, a Redis MULTI): a batch goes at once when
 * nothing is in flight — an idle stage adds no latency beyond one event-loop turn — and otherwise
 * when the batch in flight settles, when `maxBatch` items wait, or after `maxWaitMs`. Items that
 * arrive during a round trip thus share the next one instead of each paying for a round trip of
 * their own, and `maxWaitMs` bounds the wait behind a round trip that hangs.
 */
export function createBatchStage<T>(options: BatchStageOptions<T>): BatchStage<T> {
  let pending: T[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const running = new Set<Promise<void>>();

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (immediate) clearImmediate(immediate);
    immediate = undefined;
    while (pending.length > 0) {
      const batch = pending.length <= options.maxBatch ? pending : pending.slice(0, options.maxBatch);
      pending = pending.length <= options.maxBatch ? [] : pending.slice(options.maxBatch);
      inFlight++;
      const settled: Promise<void> = options
        .run(batch)
        .catch((error: unknown) => options.onError(batch, error))
        .finally(() => {
          inFlight--;
          running.delete(settled);
          schedule();
        });
      running.add(settled);
    }
  }

  function schedule(): void {
    if (pending.length === 0) return;
    if (pending.length >= options.maxBatch) return flush();
    // Idle: go now, after the items that arrived in this same I/O phase have joined.
    if (inFlight === 0) {
      immediate ??= setImmediate(flush);
      return;
    }
    timer ??= setTimeout(flush, options.maxWaitMs);
  }

  return {
    push: (item) => {
      pending.push(item);
      schedule();
    },
    close: async () => {
      flush();
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
