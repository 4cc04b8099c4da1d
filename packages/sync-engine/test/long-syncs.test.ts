import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import { createLogger } from '@ach/observability';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import {
  createRedisRunCheckpoints,
  createSyncEngine,
  createSyncRunRepository,
  SyncAttemptError,
  type PlatformAdapter,
  type SyncEngineOptions,
  type SyncRunResult,
} from '../src/index.ts';
import { createInMemoryPlatform } from './support/in-memory-platform.ts';
import { createSyncLog, createUser, linkAccount } from './support/seed.ts';

/**
 * What a slow, budget-bound platform (PSN) needs from the engine: the shrinking-list guard, full runs
 * that resume instead of starting over, titles written as they arrive, rarity that comes only with the
 * user's answer, and the "last succeeded run" instant handed to listTitles.
 */
const log = createLogger({ name: 'long-syncs-test', level: 'silent' });
let t: TestDatabase;
let r: TestRedis;
let redis: Redis;

beforeAll(async () => {
  t = await createTestDatabase();
  r = createTestRedis();
  redis = new Redis(r.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await r.cleanup();
  await t.drop();
});

function setup(wrap: (adapter: PlatformAdapter) => PlatformAdapter = (a) => a, extra: Partial<SyncEngineOptions> = {}) {
  const platform = createInMemoryPlatform('psn');
  const runs = createSyncRunRepository({ db: t.db, queuePrefix: 'unused', log });
  const engine = createSyncEngine({ db: t.db, adapter: wrap(platform.adapter), runs, log, batchMaxGames: 2, progressIntervalMs: 10, ...extra });
  const run = async (userId: string, syncId: string, mode: 'incremental' | 'full', attemptsMade = 0) =>
    engine.run({ syncId, userId, platform: 'psn', mode }, { attemptsMade });
  const sync = async (userId: string, mode: 'incremental' | 'full' = 'incremental') => {
    const syncId = await createSyncLog(t.db, userId, 'psn', mode);
    try {
      return Object.assign(await run(userId, syncId, mode), { syncId });
    } catch (error) {
      // What the runner does with a failure the engine reports: the run is over.
      await t.db.updateTable('sync_logs').set({ status: 'failed', finished_at: new Date() }).where('id', '=', syncId).execute();
      throw error;
    }
  };
  return { platform, run, sync };
}

async function newUser(account: string) {
  const user = await createUser(t.db);
  await linkAccount(t.db, user, 'psn', account);
  return user;
}

const stored = async (userId: string) =>
  (await t.db.selectFrom('user_progress').select('platform_game_id').where('user_id', '=', userId).orderBy('platform_game_id').execute()).map((row) => row.platform_game_id);

const statsOf = (result: SyncRunResult) => {
  if (result.outcome !== 'succeeded') throw new Error(`run ${result.outcome}`);
  return result.stats;
};

describe('shrinking-list guard (full mode)', () => {
  it('a complete list > 20 % and > 10 titles shorter than what is stored fails suspicious_list and removes nothing; a normal list then syncs', async () => {
    let drop = false;
    const { platform, sync } = setup((adapter) => ({
      ...adapter,
      async listTitles(account, options) {
        const listing = await adapter.listTitles(account, options);
        // 80 % of the library missing from a list that claims to be complete.
        return drop ? { titles: listing.titles.filter((_, i) => i % 5 === 0), complete: true } : listing;
      },
    }));
    const ids = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const user = await newUser('acct-shrink');
    for (const id of ids) {
      platform.addGame(id, 2);
      platform.own('acct-shrink', id, 1);
    }
    await sync(user);
    expect(await stored(user)).toEqual(ids);

    drop = true;
    const failure = await sync(user, 'full').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SyncAttemptError);
    const cause = (failure as SyncAttemptError).cause as { code?: string; message: string };
    expect(cause.code).toBe('suspicious_list');
    expect(cause.message).toBe('PlayStation Network listed 4 games where 20 are stored; nothing was removed — try again later');
    expect(await stored(user)).toEqual(ids);

    drop = false;
    expect(statsOf(await sync(user, 'full'))).toMatchObject({ gamesSeen: 20, gamesWritten: 20 });
    expect(await stored(user)).toEqual(ids);
  });

  it('small shrinks pass: ≤ 10 titles fewer, or ≤ 20 % fewer (thresholds are engine options)', async () => {
    let keep = 20;
    const wrap = (adapter: PlatformAdapter): PlatformAdapter => ({
      ...adapter,
      async listTitles(account, options) {
        const listing = await adapter.listTitles(account, options);
        return { titles: listing.titles.slice(0, keep), complete: true };
      },
    });
    const { platform, sync } = setup(wrap);
    const user = await newUser('acct-shrink-small');
    for (let i = 0; i < 60; i++) {
      platform.addGame(`m${i}`, 1);
      platform.own('acct-shrink-small', `m${i}`, 1);
    }
    keep = 60;
    await sync(user);
    keep = 49; // 11 fewer but only 18 %
    await sync(user, 'full');
    expect(await stored(user)).toHaveLength(49);
    keep = 39; // 10 fewer (20 %): not more than 10
    await sync(user, 'full');
    expect(await stored(user)).toHaveLength(39);

    // Stricter thresholds as options.
    const strict = setup(wrap, { suspiciousList: { minMissingShare: 0.05, minMissingTitles: 2 } });
    for (let i = 0; i < 60; i++) strict.platform.addGame(`m${i}`, 1);
    for (let i = 0; i < 39; i++) strict.platform.own('acct-shrink-small', `m${i}`, 1);
    keep = 35;
    const failure = await strict.sync(user, 'full').catch((e: unknown) => e);
    expect(((failure as SyncAttemptError).cause as { code?: string }).code).toBe('suspicious_list');
  });
});

describe('full runs resume', () => {
  it('a rerun of the same full run (worker gone, job delayed) fetches only the titles its earlier attempts did not write', async () => {
    const checkpoints = createRedisRunCheckpoints({ redis, prefix: r.prefix, log });
    let failAfter = Infinity;
    let fetched = 0;
    const { platform, run } = setup(
      (adapter) => ({
        ...adapter,
        async fetchUserUnlocks(account, title) {
          if (++fetched > failAfter) throw new Error('worker gone');
          return adapter.fetchUserUnlocks(account, title);
        },
      }),
      { checkpoints, gameConcurrency: 1 },
    );
    const user = await newUser('acct-resume');
    for (let i = 0; i < 10; i++) {
      platform.addGame(`f${i}`, 2);
      platform.own('acct-resume', `f${i}`, 1, 1_700_000_000 + i);
    }
    const syncId = await createSyncLog(t.db, user, 'psn', 'full');
    failAfter = 6;
    await expect(run(user, syncId, 'full', 0)).rejects.toThrow('worker gone');
    expect(await stored(user)).toHaveLength(6);

    platform.resetCalls();
    failAfter = Infinity;
    const stats = statsOf(await run(user, syncId, 'full', 1));
    expect(stats).toMatchObject({ gamesSeen: 10, gamesChanged: 4, gamesResumed: 6, gamesWritten: 4 });
    expect(platform.calls.unlocks.size).toBe(4);
    expect(await stored(user)).toHaveLength(10);
    expect(await parityBreaches(t.db)).toEqual([]);
    // The run is over: its checkpoints go, and a new full run fetches everything again.
    expect(await checkpoints.written(syncId)).toEqual(new Set());
  });
});

describe('titles land as they arrive', () => {
  it('a batch that is not full is written once its first title has waited batchMaxWaitMs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { platform, sync } = setup(
      (adapter) => ({
        ...adapter,
        async fetchUserUnlocks(account, title) {
          // The third title hangs until the test has seen the first two in the database.
          if (title.platformGameId === 'w2') await gate;
          return adapter.fetchUserUnlocks(account, title);
        },
      }),
      { batchMaxGames: 50, batchMaxWaitMs: 100, gameConcurrency: 1 },
    );
    const user = await newUser('acct-slow');
    for (let i = 0; i < 3; i++) {
      platform.addGame(`w${i}`, 2);
      platform.own('acct-slow', `w${i}`, 1, 1_700_000_010 - i);
    }
    const running = sync(user);
    const deadline = Date.now() + 10_000;
    while ((await stored(user)).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stored(user)).toEqual(['w0', 'w1']);
    release();
    expect(statsOf(await running)).toMatchObject({ gamesWritten: 3 });
  });
});

describe('rarity that only comes with the user’s answer', () => {
  it('goes into fresh definitions, and over cached ones where it moved, without fetching definitions again', async () => {
    let rate = 12.5;
    const { platform, sync } = setup((adapter) => ({
      ...adapter,
      async fetchGameMetadata(account, title) {
        const metadata = await adapter.fetchGameMetadata(account, title);
        return { achievements: metadata.achievements.map((a) => ({ ...a, rarityPercentage: null })), gameData: { groups: ['default'] } };
      },
      async fetchUserUnlocks(account, title) {
        const unlocks = await adapter.fetchUserUnlocks(account, title);
        return { ...unlocks, rarity: platform.game(title.platformGameId).achievements.map((a) => ({ platformAchievementId: a.platformAchievementId, rarityPercentage: rate })) };
      },
    }));
    platform.addGame('r1', 3);
    const userA = await newUser('acct-rare-a');
    const userB = await newUser('acct-rare-b');
    platform.own('acct-rare-a', 'r1', 1);
    platform.own('acct-rare-b', 'r1', 2);
    const rarity = async () =>
      (await t.db.selectFrom('achievements').select('rarity_percentage').where('platform_game_id', '=', 'r1').execute()).map((row) => Number(row.rarity_percentage));

    await sync(userA);
    expect(await rarity()).toEqual([12.5, 12.5, 12.5]);
    rate = 7.25;
    platform.resetCalls();
    const stats = statsOf(await sync(userB));
    expect(platform.calls.metadata.size).toBe(0);
    expect(stats.rows.achievements.updated).toBe(3);
    expect(await rarity()).toEqual([7.25, 7.25, 7.25]);
    // Game-level data that came with the definitions stays while they are served from the cache.
    const game = await t.db.selectFrom('games').select('platform_specific_data').where('platform_game_id', '=', 'r1').executeTakeFirstOrThrow();
    expect(game.platform_specific_data).toEqual({ groups: ['default'] });
  });

  it('cached definitions whose count differs from what the list says are fetched again', async () => {
    const list: { defined?: number } = {};
    const { platform, sync } = setup((adapter) => ({
      ...adapter,
      async listTitles(account, options) {
        const listing = await adapter.listTitles(account, options);
        return { ...listing, titles: listing.titles.map((title) => ({ ...title, definedAchievements: list.defined })) };
      },
    }));
    platform.addGame('d1', 2);
    const user = await newUser('acct-dlc');
    platform.own('acct-dlc', 'd1', 1, 1_700_000_000);
    await sync(user);
    platform.addGame('d1', 4); // a DLC added two
    platform.earn('acct-dlc', 'd1', []);
    platform.resetCalls();
    list.defined = 4;
    await sync(user);
    expect(platform.calls.metadata.get('d1')).toBe(1);
    expect((await t.db.selectFrom('games').select('achievements_total').where('platform_game_id', '=', 'd1').executeTakeFirstOrThrow()).achievements_total).toBe(4);
  });
});

describe('listTitles is told what a succeeded run vouches for', () => {
  it('null until a run succeeds; then the first start of the newest succeeded run (a failed one changes nothing)', async () => {
    let fail = false;
    const { platform, sync } = setup((adapter) => ({
      ...adapter,
      async fetchUserUnlocks(account, title) {
        if (fail) throw new Error('interrupted');
        return adapter.fetchUserUnlocks(account, title);
      },
    }));
    platform.addGame('v1', 1);
    const user = await newUser('acct-vouch');
    platform.own('acct-vouch', 'v1', 1);
    fail = true;
    await expect(sync(user)).rejects.toThrow('interrupted');
    fail = false;
    const first = await sync(user);
    platform.earn('acct-vouch', 'v1', []);
    fail = true;
    await expect(sync(user)).rejects.toThrow('interrupted');
    const started = await t.db.selectFrom('sync_logs').select('started_at').where('id', '=', first.syncId).executeTakeFirstOrThrow();
    expect(platform.calls.syncedThrough).toEqual([null, null, started.started_at]);
  });
});
