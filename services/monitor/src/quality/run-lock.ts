import pg from 'pg';

/** Any constant no other code in this database uses as an advisory lock key (the migrator has 7231001). */
export const QUALITY_RUN_LOCK_KEY = 7_231_013;

export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false };

export interface RunLockOptions {
  /** How long to keep trying; 0 tries once (a busy lock is then a skip). */
  waitMs: number;
  pollMs?: number;
  /** Aborts the wait (shutdown). */
  signal?: AbortSignal;
}

/**
 * One quality run at a time however many monitors (and API replicas) there are: a session-level
 * advisory lock held by a connection of its own for the whole run. Not a pooled connection: if the
 * unlock ever failed, a pooled session would keep the lock forever; ending this one always releases
 * it, and so does the server when the process dies.
 */
export async function withQualityRunLock<T>(databaseUrl: string, options: RunLockOptions, fn: () => Promise<T>): Promise<LockOutcome<T>> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'achievement-sync-monitor-lock' });
  // A lost lock connection must not crash the process; the run in progress finishes, the lock is gone.
  client.on('error', () => {});
  await client.connect();
  try {
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [QUALITY_RUN_LOCK_KEY]);
      if (rows[0]!.locked) break;
      if (Date.now() >= deadline || options.signal?.aborted) return { acquired: false };
      await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 250, Math.max(1, deadline - Date.now()))));
    }
    return { acquired: true, value: await fn() };
  } finally {
    await client.end().catch(() => {});
  }
}
