import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@ach/db';
import { builtinPlatforms } from '@ach/platform-registry';
import { sandboxAccountKit } from '../support/sandbox-account-kits.ts';
import { linkAccount, requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, waitFor, type RunningSystem } from '../support/system-under-test.ts';

/**
 * Postgres restarted (same port, data kept) while syncs write: the attempts that meet it fail like any
 * transient error and BullMQ retries them, so every run still succeeds; the pools reconnect by
 * themselves, so `/ready` says 503 while it is away and 200 again without anyone restarting the API,
 * and the monitor goes on recording its checks.
 */
const USERS = 2;
/** Big enough that a sync is still fetching and writing when Postgres goes. */
const LIBRARY = { titles: 80, achievementsPerTitle: 10 };

let system: RunningSystem;
let accountNumber = 0;

beforeAll(async () => {
  // The monitor checks every second, so it too meets the outage (its lock connection dies) and must come back.
  system = await startSystem({ label: 'postgres-restart', envFor: { monitor: { MONITOR_INCREMENTAL_EVERY_MS: '1000' } } });
});
afterAll(async () => {
  await system?.stop();
});

const newAccountLinkBody = (platform: Platform) => sandboxAccountKit({ slug: platform }).create(system.sandbox.state, accountNumber++, LIBRARY).linkBody;

const readiness = async () => {
  const res = await fetch(`${system.apiUrl}/ready`).catch(() => undefined);
  return res && { status: res.status, body: (await res.json()) as unknown };
};

describe('Postgres restarted mid-sync', () => {
  it('runs retry and succeed, /ready answers 503 while it is away and 200 again by itself, no process exits', async () => {
    const users: { authorization: string }[] = [];
    for (let u = 0; u < USERS; u++) {
      const user = await system.signUp();
      for (const { slug } of builtinPlatforms) await linkAccount(system, user.authorization, slug, newAccountLinkBody(slug));
      users.push(user);
    }
    const ids = await Promise.all(users.flatMap((user) => builtinPlatforms.map(({ slug }) => requestSync(system, user.authorization, slug))));
    // Every run taken by a worker (none still queued), some under way: the restart hits them mid-sync.
    await waitFor('the runs to be under way', async () => {
      const rows = await system.db.selectFrom('sync_logs').select('status').where('id', 'in', ids).execute();
      return rows.every((r) => r.status !== 'queued') && rows.some((r) => r.status === 'running');
    }, 20_000, 50);

    await system.postgres.stop();
    let down: Awaited<ReturnType<typeof readiness>>;
    await waitFor('/ready to answer 503', async () => (down = await readiness())?.status === 503, 10_000);
    expect(down!.body).toMatchObject({ status: 'unavailable', postgres: false, redis: true });
    // Away long enough for the attempts in flight to fail on it and for retries to meet it too.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await system.postgres.start();
    const restartedAt = new Date();

    // The same API process, no restart: its pool reconnects on the next query.
    await waitFor('/ready to answer 200 again', async () => (await readiness())?.status === 200, 20_000);
    expect((await readiness())?.body).toEqual({ status: 'ready', postgres: true, redis: true });

    const runs = await waitForRunsToEnd(system, ids, 60_000);
    expect(runs.map((r) => [r.status, r.error_code])).toEqual(ids.map(() => ['succeeded', null]));
    // At least one run met the restart and needed another attempt (else the scenario proved nothing).
    expect(Math.max(...runs.map((r) => r.attempts))).toBeGreaterThan(1);

    // The monitor records checks again, on a new lock connection.
    await waitFor('the monitor to record a check after the restart', async () =>
      (await system.db.selectFrom('user_sync_monitoring_log').select('id').where('run_at', '>', restartedAt).execute()).length > 0, 20_000, 250);
    expect(system.exitedServices()).toEqual([]);
  });
});
