import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@ach/db';
import { builtinPlatforms } from '@ach/platform-registry';
import { sandboxAccountKit } from '../support/sandbox-account-kits.ts';
import { linkAccount, requestSync, waitForRunsToEnd, type FinishedRun } from '../support/sync-runs.ts';
import { startSystem, waitFor, type RunningSystem } from '../support/system-under-test.ts';

/**
 * Redis holds every queued job and nothing else of record: losing it (a restart of a Redis without
 * persistence, or a FLUSHALL) loses the jobs but never the runs, which live in Postgres. The promise is
 * that no accepted run stays open for ever: the monitor's stuck-sync sweep re-enqueues a run whose job
 * vanished, or closes it as failed. Its settings are shortened here so the sweep acts within seconds.
 */
const SWEEP_ENV = { MONITOR_INCREMENTAL_EVERY_MS: '1000', MONITOR_STUCK_SYNC_AFTER_MS: '3000' };
/**
 * One job at a time per worker and several users: most jobs wait in Redis when it goes. (A job a worker
 * holds still ends in Postgres by itself: the run's row does not need Redis.)
 */
const WORKER_ENV = { WORKER_CONCURRENCY: '1' };
const USERS = 3;
/** Every platform call is held this long (then 504) while the syncs are accepted: none can finish before Redis goes. */
const HOLD_MS = 3_000;

let system: RunningSystem;
let accountNumber = 0;

/** PSN and Xbox links prove ownership (one user per account): every user gets small accounts of their own. */
const newAccountLinkBody = (platform: Platform) =>
  sandboxAccountKit({ slug: platform }).create(system.sandbox.state, accountNumber++, { titles: 6, achievementsPerTitle: 5 }).linkBody;

beforeAll(async () => {
  system = await startSystem({
    label: 'redis-restart',
    envFor: { monitor: SWEEP_ENV, ...Object.fromEntries(builtinPlatforms.map(({ slug }) => [`worker-${slug}`, WORKER_ENV])) },
  });
});
afterAll(async () => {
  await system?.stop();
});

/** Several new users, each with an account on every platform; then a sync of each, all accepted while platform calls hang. */
async function acceptSyncsWhilePlatformsHang(): Promise<string[]> {
  const users: { authorization: string }[] = [];
  for (let u = 0; u < USERS; u++) {
    const user = await system.signUp();
    for (const { slug } of builtinPlatforms) await linkAccount(system, user.authorization, slug, newAccountLinkBody(slug));
    users.push(user);
  }
  system.sandbox.state.faults.add({ endpoint: '*', kind: 'timeout', holdMs: HOLD_MS, count: 100_000 });
  const ids = await Promise.all(users.flatMap((user) => builtinPlatforms.map(({ slug }) => requestSync(system, user.authorization, slug))));
  const open = await system.db.selectFrom('sync_logs').select('id').where('id', 'in', ids).where('status', 'in', ['queued', 'running']).execute();
  // The scenario means something only if Redis goes while runs are open.
  expect(open.length).toBe(ids.length);
  return ids;
}

async function expectEveryRunClosedWithTheSweepsHelp(runs: FinishedRun[]): Promise<void> {
  const unexplained = runs.filter((r) => r.status !== 'succeeded' && !(r.status === 'failed' && r.error_code));
  expect(unexplained).toEqual([]);
  // Jobs were lost, so some runs could only end because the monitor's sweep re-enqueued or closed them
  // (a success overwrites the run's stats; the monitor's own record of each check keeps the ids).
  const checks = await system.db.selectFrom('user_sync_monitoring_log').select('checks').execute();
  const swept = new Set(
    checks.flatMap(({ checks }) => {
      const details = (checks as Record<string, { details?: { requeued?: string[]; failed?: string[] } } | undefined>).stuck_syncs?.details;
      return [...(details?.requeued ?? []), ...(details?.failed ?? [])];
    }),
  );
  expect(runs.filter((r) => swept.has(r.id)).length).toBeGreaterThan(0);
}

/** The API takes new syncs and every platform's worker finishes its one: Redis is fully back in use. */
async function expectNewSyncsSucceed(): Promise<void> {
  await system.waitReady(30_000);
  const user = await system.signUp();
  const ids: string[] = [];
  for (const { slug } of builtinPlatforms) {
    await linkAccount(system, user.authorization, slug, newAccountLinkBody(slug));
    ids.push(await requestSync(system, user.authorization, slug));
  }
  const runs = await waitForRunsToEnd(system, ids, 30_000);
  expect(runs.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
}

describe('Redis lost while syncs are queued', () => {
  it('a restart (no data kept): every accepted run ends succeeded or failed with a code, and the system takes syncs again', async () => {
    const ids = await acceptSyncsWhilePlatformsHang();
    await system.redis!.stop();
    system.sandbox.state.faults.clear();
    // Down long enough for every process to notice (commands fail, connections retry).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await system.redis!.start();

    const runs = await waitForRunsToEnd(system, ids, 45_000);
    await expectEveryRunClosedWithTheSweepsHelp(runs);
    expect(system.exitedServices()).toEqual([]);
    await expectNewSyncsSucceed();
  });

  it('a FLUSHALL while syncs are queued and running: the same', async () => {
    const ids = await acceptSyncsWhilePlatformsHang();
    // Some jobs taken by a worker (active), the rest waiting: the flush takes both.
    await waitFor('a run to start', async () => (await system.db.selectFrom('sync_logs').select('id').where('id', 'in', ids).where('status', '=', 'running').execute()).length > 0, 10_000);
    const redis = new Redis(system.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.flushall()).toBe('OK');
    } finally {
      redis.disconnect();
    }
    system.sandbox.state.faults.clear();

    const runs = await waitForRunsToEnd(system, ids, 45_000);
    await expectEveryRunClosedWithTheSweepsHelp(runs);
    expect(system.exitedServices()).toEqual([]);
    await expectNewSyncsSucceed();
  });
});
