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

export interface QualityRunLock {
  withLock<T>(options: RunLockOptions, fn: () => Promise<T>): Promise<LockOutcome<T>>;
  close(): Promise<void>;
}

/**
 * The same lock on one connection kept for the process's lifetime (the monitor runs every few
 * minutes; connecting for each run was most of a cheap incremental run's fixed cost). The lock is
 * taken and released around each run; if the release fails or the connection errors, the
 * connection is ended (which releases the lock) and the next run connects afresh. A session-level
 * advisory lock is re-entrant within its session, so runs of this process are serialised here
 * before they ask the server.
 */
export function createQualityRunLock(databaseUrl: string): QualityRunLock {
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  let busy = false;
  let closed = false;

  const drop = (broken: pg.Client) => {
    if (client === broken) client = null;
    broken.end().catch(() => {});
  };
  const connection = async (): Promise<pg.Client> => {
    if (client) return client;
    connecting ??= (async () => {
      const fresh = new pg.Client({ connectionString: databaseUrl, application_name: 'achievement-sync-monitor-lock' });
      fresh.on('error', () => drop(fresh));
      fresh.on('end', () => { if (client === fresh) client = null; });
      try {
        await fresh.connect();
      } catch (error) {
        fresh.end().catch(() => {});
        throw error;
      }
      client = fresh;
      return fresh;
    })().finally(() => { connecting = null; });
    return connecting;
  };

  return {
    async withLock(options, fn) {
      if (closed) throw new Error('the quality run lock is closed');
      const deadline = Date.now() + options.waitMs;
      const pause = () => new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 250, Math.max(1, deadline - Date.now()))));
      let held: pg.Client | null = null;
      while (!held) {
        if (!busy) {
          busy = true;
          try {
            const c = await connection();
            const { rows } = await c.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [QUALITY_RUN_LOCK_KEY]);
            if (rows[0]!.locked) held = c;
          } catch (error) {
            busy = false;
            throw error;
          }
          if (!held) busy = false;
        }
        if (held) break;
        if (Date.now() >= deadline || options.signal?.aborted) return { acquired: false };
        await pause();
      }
      try {
        return { acquired: true, value: await fn() };
      } finally {
        try {
          const { rows } = await held.query<{ unlocked: boolean }>('select pg_advisory_unlock($1) as unlocked', [QUALITY_RUN_LOCK_KEY]);
          if (!rows[0]!.unlocked) drop(held);
        } catch {
          drop(held);
        }
        busy = false;
      }
    },
    async close() {
      closed = true;
      const c = client ?? (connecting ? await connecting.catch(() => null) : null);
      client = null;
      if (c) await c.end().catch(() => {});
    },
  };
}
