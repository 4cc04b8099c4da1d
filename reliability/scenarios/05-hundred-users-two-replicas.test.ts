import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import { builtinPlatforms } from '@ach/platform-registry';
import { mapWithConcurrency } from '@ach/sync-engine';
import { sandboxAccountKit, type LibrarySize, type RequestWindow } from '../support/sandbox-account-kits.ts';
import { progressParityBreaches, storedLibraryCounts } from '../support/stored-library.ts';
import { linkOwnSandboxAccounts, windowedWorkerEnv } from '../support/linked-sandbox-accounts.ts';
import { requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, type RunningSystem } from '../support/system-under-test.ts';

/**
 * "100 users × 3 platforms synced concurrently by 2 replicas of each worker: all succeed, parity holds,
 * no platform limit exceeded."
 *
 * Every user links an account of their own on every platform (small libraries: the point is many
 * concurrent jobs, not big ones), then every sync is requested at once. Two replicas of each worker
 * share the queues and the Redis call budgets; PSN and Xbox accounts have request windows (the
 * workers are given the same budgets), so a platform refusing a call would show as a sandbox 429.
 */
const USERS = 100;
const REPLICAS = 2;
/** 4 titles: one of them an Xbox 360 title (two calls). */
const LIBRARY: LibrarySize = { titles: 4, achievementsPerTitle: 4 };
/** A PSN sync of 4 titles makes 5–13 calls, an Xbox one 5 to its achievements service: both need more than one window. */
const WINDOW: RequestWindow = { max: 3, seconds: 1 };
/** Links made at once (each costs the API a few platform calls and a sealing). */
const LINKS_AT_ONCE = 8;

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem({
    label: 'hundred-users',
    workers: Object.fromEntries(builtinPlatforms.map((p) => [p.slug, REPLICAS])),
    envFor: windowedWorkerEnv(WINDOW),
  });
});
afterAll(async () => {
  await system?.stop();
});

describe(`${USERS} users on every platform, ${REPLICAS} replicas of each worker`, () => {
  it('every sync requested at once succeeds; stored libraries equal the sandbox, parity holds, no platform window was exceeded', async () => {
    const linked = await linkOwnSandboxAccounts(system, { users: USERS, library: LIBRARY, window: WINDOW, linksAtOnce: LINKS_AT_ONCE });
    expect(linked).toHaveLength(USERS * builtinPlatforms.length);

    const ids = await Promise.all(linked.map((l) => requestSync(system, l.authorization, l.platform.slug, 'full')));
    const runs = await waitForRunsToEnd(system, ids, 150_000);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // The windows had to pace the syncs: each windowed one needed more calls than one window allows.
    const stats = await system.db.selectFrom('sync_logs').select(['platform_id', 'stats']).where('id', 'in', ids).execute();
    const windowed = new Set(builtinPlatforms.filter((p) => sandboxAccountKit(p).requestWindow).map((p) => p.id));
    const unpaced = stats.filter((r) => windowed.has(r.platform_id) && (r.stats as unknown as { apiCallsTotal: number }).apiCallsTotal <= WINDOW.max);
    expect(unpaced).toEqual([]);

    const mismatches: unknown[] = [];
    await mapWithConcurrency(linked, 8, async (l) => {
      const stored = await storedLibraryCounts(system.db, l.userId, l.platform.id);
      const expected = sandboxAccountKit(l.platform).library(system.sandbox.state, l.externalId);
      if (JSON.stringify(stored) !== JSON.stringify(expected)) mismatches.push({ platform: l.platform.slug, user: l.userId, stored, expected });
    });
    expect(mismatches).toEqual([]);
    expect(await progressParityBreaches(system.db)).toEqual([]);
    expect(await parityBreaches(system.db)).toEqual([]);
    expect(system.sandbox.state.throttled.snapshot()).toEqual({});

    // Both replicas of every worker did part of the work, and nothing died doing it.
    const workers = system.services.filter((s) => s.kind.startsWith('worker-'));
    expect(workers).toHaveLength(REPLICAS * builtinPlatforms.length);
    expect(workers.filter((w) => !w.lines.some((line) => line.includes('"job completed"'))).map((w) => w.name)).toEqual([]);
    const codes = await system.stop();
    expect(Object.entries(codes).filter(([, code]) => code !== 0)).toEqual([]);
  });
});
