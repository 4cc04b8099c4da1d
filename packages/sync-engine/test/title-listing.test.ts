import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import { createLogger } from '@ach/observability';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { createSyncEngine, createSyncRunRepository, TitleGoneError, type PlatformAdapter, type SyncRunResult } from '../src/index.ts';
import { createInMemoryPlatform } from './support/in-memory-platform.ts';
import { createSyncLog, createUser, linkAccount } from './support/seed.ts';

/** The adapter contract around listing and skipping: what listTitles is told, partial lists, titles gone on the platform. */
const log = createLogger({ name: 'title-listing-test', level: 'silent' });
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

function setup(wrap: (adapter: PlatformAdapter) => PlatformAdapter = (adapter) => adapter) {
  const platform = createInMemoryPlatform('steam');
  const runs = createSyncRunRepository({ db: t.db, queuePrefix: 'unused', log });
  const engine = createSyncEngine({ db: t.db, adapter: wrap(platform.adapter), runs, log, batchMaxGames: 2, progressIntervalMs: 10 });
  const sync = async (userId: string, mode: 'incremental' | 'full' = 'incremental') => {
    const syncId = await createSyncLog(t.db, userId, 'steam', mode);
    const result = await engine.run({ syncId, userId, platform: 'steam', mode }, { attemptsMade: 0 });
    return Object.assign(result, { syncId });
  };
  return { platform, sync };
}

async function newUser(account: string) {
  const user = await createUser(t.db);
  await linkAccount(t.db, user, 'steam', account);
  return user;
}

async function progressOf(userId: string) {
  const rows = await t.db
    .selectFrom('user_progress')
    .select(['platform_game_id', 'achievements_earned'])
    .where('user_id', '=', userId)
    .orderBy('platform_game_id')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.platform_game_id, r.achievements_earned]));
}

async function unlockCount(userId: string) {
  const row = await t.db.selectFrom('user_achievements').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.n);
}

const statsOf = (result: SyncRunResult) => {
  if (result.outcome !== 'succeeded') throw new Error(`run ${result.outcome}`);
  return result.stats;
};

describe('listTitles', () => {
  it('receives the run’s mode and the change markers stored for the user', async () => {
    const { platform, sync } = setup();
    platform.addGame('a1', 2);
    platform.addGame('a2', 2);
    const user = await newUser('acct-opts');
    platform.own('acct-opts', 'a1', 1, 1_700_000_001);
    platform.own('acct-opts', 'a2', 1, 1_700_000_002);

    await sync(user, 'incremental');
    await sync(user, 'full');
    platform.earn('acct-opts', 'a2', ['a2_A1']);
    await sync(user, 'incremental');

    expect(platform.calls.listOptions).toEqual([
      { mode: 'incremental', storedMarkers: new Map() },
      { mode: 'full', storedMarkers: new Map([['a1', '1700000001'], ['a2', '1700000002']]) },
      { mode: 'incremental', storedMarkers: new Map([['a1', '1700000001'], ['a2', '1700000002']]) },
    ]);
  });

  it('an incremental list that stopped at the first unchanged title removes nothing and fetches only what it listed', async () => {
    const { platform, sync } = setup();
    for (const id of ['p1', 'p2', 'p3', 'p4']) platform.addGame(id, 3);
    const user = await newUser('acct-partial');
    ['p1', 'p2', 'p3', 'p4'].forEach((id, i) => platform.own('acct-partial', id, 2, 1_700_000_000 + i));
    platform.setStopsEarly(true);
    await sync(user);
    expect(await progressOf(user)).toEqual({ p1: 2, p2: 2, p3: 2, p4: 2 });

    platform.earn('acct-partial', 'p2', ['p2_A2']); // p2 is now the most recently played
    platform.resetCalls();
    const stats = statsOf(await sync(user));

    expect(stats).toMatchObject({ gamesSeen: 1, gamesChanged: 1, gamesWritten: 1 });
    expect(stats.rows.user_progress.deleted + stats.rows.user_achievements.deleted).toBe(0);
    expect([...platform.calls.unlocks.keys()]).toEqual(['p2']);
    expect(await progressOf(user)).toEqual({ p1: 2, p2: 3, p3: 2, p4: 2 });
    expect(await unlockCount(user)).toBe(9);
  });

  it('a partial list in full mode removes no title; only a complete one does', async () => {
    let partial = true;
    const { platform, sync } = setup((adapter) => ({
      ...adapter,
      async listTitles(account, options) {
        const listing = await adapter.listTitles(account, options);
        return partial ? { titles: listing.titles.filter((title) => title.platformGameId === 'q1'), complete: false } : listing;
      },
    }));
    platform.addGame('q1', 2);
    platform.addGame('q2', 2);
    const user = await newUser('acct-full-partial');
    platform.own('acct-full-partial', 'q1', 1);
    platform.own('acct-full-partial', 'q2', 2);
    partial = false;
    await sync(user);

    partial = true;
    const stats = statsOf(await sync(user, 'full'));
    expect(stats.rows.user_progress.deleted + stats.rows.user_achievements.deleted).toBe(0);
    expect(await progressOf(user)).toEqual({ q1: 1, q2: 2 });

    // The same disowned title, now absent from a complete list: it goes.
    platform.disown('acct-full-partial', 'q2');
    partial = false;
    await sync(user, 'full');
    expect(await progressOf(user)).toEqual({ q1: 1 });
  });
});

describe('a title gone on the platform', () => {
  it('is skipped and counted; the run succeeds, other titles are written, its stored rows stay', async () => {
    const { platform, sync } = setup();
    for (const id of ['k1', 'k2', 'k3', 'k4']) platform.addGame(id, 3);
    const user = await newUser('acct-gone');
    for (const id of ['k1', 'k2']) platform.own('acct-gone', id, 1);
    await sync(user);

    // k1 and k2 move on; k3 and k4 are new. k2's unlocks and k3's definitions now answer "gone".
    platform.earn('acct-gone', 'k1', ['k1_A1']);
    platform.earn('acct-gone', 'k2', ['k2_A1']);
    platform.own('acct-gone', 'k3', 1);
    platform.own('acct-gone', 'k4', 2);
    platform.setFault((what, gameId) => {
      if ((what === 'unlocks' && gameId === 'k2') || (what === 'metadata' && gameId === 'k3')) throw new TitleGoneError(gameId);
    });
    const result = await sync(user);

    expect(statsOf(result)).toMatchObject({ gamesSeen: 4, gamesChanged: 4, gamesWritten: 2, gamesSkipped: 2 });
    expect(await progressOf(user)).toEqual({ k1: 2, k2: 1, k4: 2 });
    expect(await parityBreaches(t.db)).toEqual([]);
    const row = await t.db.selectFrom('sync_logs').select(['status', 'stats']).where('id', '=', result.syncId).executeTakeFirstOrThrow();
    expect(row.status).toBe('succeeded');
    expect(row.stats).toMatchObject({ gamesSkipped: 2 });

    // Their markers were not stored: the next run fetches them again.
    platform.setFault(undefined);
    platform.resetCalls();
    const next = statsOf(await sync(user));
    expect(next).toMatchObject({ gamesChanged: 2, gamesWritten: 2, gamesSkipped: 0 });
    expect(await progressOf(user)).toEqual({ k1: 2, k2: 2, k3: 1, k4: 2 });
  });

  it('its fetched definitions are not handed to the next run: they were never written', async () => {
    const { platform, sync } = setup();
    platform.addGame('z1', 2);
    const user = await newUser('acct-gone-meta');
    platform.own('acct-gone-meta', 'z1', 1);
    platform.setFault((what, gameId) => {
      if (what === 'unlocks' && gameId === 'z1') throw new TitleGoneError(gameId);
    });
    expect(statsOf(await sync(user))).toMatchObject({ gamesSkipped: 1, metadataFetched: 1 });

    platform.setFault(undefined);
    platform.resetCalls();
    await sync(user);
    expect(platform.calls.metadata.get('z1')).toBe(1);
    expect(await progressOf(user)).toEqual({ z1: 1 });
  });

  it('any other per-title error still fails the attempt', async () => {
    const { platform, sync } = setup();
    platform.addGame('e1', 1);
    const user = await newUser('acct-other-error');
    platform.own('acct-other-error', 'e1', 1);
    platform.setFault((what) => {
      if (what === 'unlocks') throw new Error('boom');
    });
    await expect(sync(user)).rejects.toThrow('boom');
  });
});
