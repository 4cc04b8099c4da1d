import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@ach/observability';
import { PlatformError } from '@ach/platform-clients';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { createSyncEngine, createSyncRunRepository, SyncAttemptError, type SyncEngine } from '../src/index.ts';
import { createInMemoryPlatform } from './support/in-memory-platform.ts';
import { changedKeys, rowVersions } from '@ach/testing';
import { parityBreaches as parityViolations } from '@ach/library';
import { createSyncLog, createUser, linkAccount } from './support/seed.ts';

const log = createLogger({ name: 'sync-engine-test', level: 'silent' });
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

function setup() {
  const platform = createInMemoryPlatform('steam');
  const runs = createSyncRunRepository({ db: t.db, queuePrefix: 'unused', log });
  const engine: SyncEngine = createSyncEngine({ db: t.db, adapter: platform.adapter, runs, log, batchMaxGames: 3, progressIntervalMs: 10 });
  return { platform, engine };
}

async function sync(engine: SyncEngine, userId: string, mode: 'incremental' | 'full' = 'incremental') {
  const syncId = await createSyncLog(t.db, userId, 'steam', mode);
  const result = await engine.run({ syncId, userId, platform: 'steam', mode }, { attemptsMade: 0 });
  return { syncId, result };
}

async function userRows(userId: string) {
  const progress = await t.db
    .selectFrom('user_progress')
    .select(['platform_game_id', 'achievements_total', 'achievements_earned', 'completion_percentage'])
    .where('user_id', '=', userId)
    .orderBy('platform_game_id')
    .execute();
  const unlocks = await t.db
    .selectFrom('user_achievements')
    .select(['platform_game_id', 'platform_achievement_id'])
    .where('user_id', '=', userId)
    .orderBy('platform_game_id')
    .orderBy('platform_achievement_id')
    .execute();
  return { progress, unlocks };
}

describe('sync engine', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });

  it('stores every title, definition and unlock, with earned counts equal to the stored rows', async () => {
    const { platform, engine } = env;
    platform.addGame('g1', 5);
    platform.addGame('g2', 3);
    platform.addGame('g3', 0);
    const user = await createUser(t.db);
    await linkAccount(t.db, user, 'steam', 'acct-full');
    platform.own('acct-full', 'g1', 2);
    platform.own('acct-full', 'g2', 3);
    platform.own('acct-full', 'g3', 0);

    const { syncId, result } = await sync(engine, user);
    expect(result.outcome).toBe('succeeded');
    const rows = await userRows(user);
    expect(rows.progress.map((p) => [p.platform_game_id, p.achievements_total, p.achievements_earned, p.completion_percentage])).toEqual([
      ['g1', 5, 2, 40],
      ['g2', 3, 3, 100],
      ['g3', 0, 0, 0],
    ]);
    expect(rows.unlocks).toHaveLength(5);
    expect(await parityViolations(t.db)).toEqual([]);
    // A title without achievements costs no unlock request.
    expect(platform.calls.unlocks.get('g3')).toBeUndefined();

    const log = await t.db.selectFrom('sync_logs').selectAll().where('id', '=', syncId).executeTakeFirstOrThrow();
    expect(log).toMatchObject({ status: 'succeeded', progress: 100, attempts: 1, error_code: null });
    expect(log.started_at).not.toBeNull();
    expect(log.finished_at).not.toBeNull();
    expect(log.stats).toMatchObject({ gamesSeen: 3, gamesChanged: 3, gamesWritten: 3, metadataFetched: 3 });
    const account = await t.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', user).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ sync_status: 'succeeded', sync_progress: 100, last_sync_id: syncId, needs_attention: false });
    expect(account.last_synced_at).not.toBeNull();
  });

  it('incremental: fetches only changed titles, writes only changed rows, and a no-change rerun writes nothing', async () => {
    const { platform, engine } = env;
    for (const id of ['i1', 'i2', 'i3', 'i4']) platform.addGame(id, 6);
    const user = await createUser(t.db);
    await linkAccount(t.db, user, 'steam', 'acct-inc');
    for (const id of ['i1', 'i2', 'i3', 'i4']) platform.own('acct-inc', id, 1);
    await sync(engine, user);

    platform.resetCalls();
    platform.earn('acct-inc', 'i2', ['i2_A3', 'i2_A4', 'i2_A5']);
    const before = await rowVersions(t.db, user);
    const { result } = await sync(engine, user);
    const after = await rowVersions(t.db, user);
    expect(platform.calls.list).toBe(1);
    expect([...platform.calls.unlocks.keys()]).toEqual(['i2']);
    expect(platform.calls.metadata.size).toBe(0);
    expect(changedKeys(before, after)).toEqual(['user_achievements:i2:i2_A3', 'user_achievements:i2:i2_A4', 'user_achievements:i2:i2_A5', 'user_progress:i2']);
    expect(result.outcome === 'succeeded' && result.stats.rowsWritten).toBe(4);

    platform.resetCalls();
    const { result: again } = await sync(engine, user);
    expect(changedKeys(after, await rowVersions(t.db, user))).toEqual([]);
    expect(platform.calls.list).toBe(1);
    expect(platform.calls.unlocks.size + platform.calls.metadata.size).toBe(0);
    expect(again.outcome === 'succeeded' && again.stats.rowsWritten).toBe(0);
    expect(await parityViolations(t.db)).toEqual([]);
  });

  it('fetches a game’s definitions once for all users within the TTL', async () => {
    const { platform, engine } = env;
    platform.addGame('s1', 4);
    platform.addGame('s2', 4);
    const [a, b] = [await createUser(t.db), await createUser(t.db)];
    await linkAccount(t.db, a, 'steam', 'acct-sa');
    await linkAccount(t.db, b, 'steam', 'acct-sb');
    for (const acct of ['acct-sa', 'acct-sb']) for (const g of ['s1', 's2']) platform.own(acct, g, 2);
    await sync(engine, a);
    await sync(engine, b);
    expect(Object.fromEntries(platform.calls.metadata)).toEqual({ s1: 1, s2: 1 });
    expect(Object.fromEntries(platform.calls.unlocks)).toEqual({ s1: 2, s2: 2 });
  });

  it('refreshes cached definitions when the user holds an achievement they lack', async () => {
    const { platform, engine } = env;
    platform.addGame('n1', 2);
    const user = await createUser(t.db);
    await linkAccount(t.db, user, 'steam', 'acct-new');
    platform.own('acct-new', 'n1', 1);
    await sync(engine, user);
    // The game gained an achievement (an update/DLC) and the user earned it.
    platform.game('n1').achievements.push({ ...platform.game('n1').achievements[0]!, platformAchievementId: 'n1_DLC', name: 'DLC' });
    platform.earn('acct-new', 'n1', ['n1_DLC']);
    await sync(engine, user);
    expect(platform.calls.metadata.get('n1')).toBe(2);
    const game = await t.db.selectFrom('games').select('achievements_total').where('platform_game_id', '=', 'n1').executeTakeFirstOrThrow();
    expect(game.achievements_total).toBe(3);
    expect((await userRows(user)).progress[0]).toMatchObject({ achievements_total: 3, achievements_earned: 2 });
  });

  it('full mode removes unlocks the platform no longer reports and titles the user no longer has', async () => {
    const { platform, engine } = env;
    platform.addGame('f1', 3);
    platform.addGame('f2', 3);
    const user = await createUser(t.db);
    await linkAccount(t.db, user, 'steam', 'acct-reset');
    platform.own('acct-reset', 'f1', 3);
    platform.own('acct-reset', 'f2', 2);
    await sync(engine, user);
    platform.resetStats('acct-reset', 'f1');
    platform.disown('acct-reset', 'f2');

    await sync(engine, user, 'incremental');
    expect((await userRows(user)).unlocks).toHaveLength(5); // incremental trusts the unchanged markers

    const { result } = await sync(engine, user, 'full');
    const rows = await userRows(user);
    expect(rows.unlocks).toEqual([]);
    expect(rows.progress.map((p) => [p.platform_game_id, p.achievements_earned])).toEqual([['f1', 0]]);
    expect(result.outcome === 'succeeded' && result.stats.rows.user_achievements.deleted).toBe(5);
    expect(await parityViolations(t.db)).toEqual([]);
  });

  it('a failing title fails the attempt; titles fetched before it stay written, nothing of it is', async () => {
    const { platform, engine } = env;
    for (const id of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']) platform.addGame(id, 2);
    const user = await createUser(t.db);
    await linkAccount(t.db, user, 'steam', 'acct-mal');
    for (const id of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']) platform.own('acct-mal', id, 1);
    platform.setFault((what, gameId) => {
      if (what === 'unlocks' && gameId === 'm6') {
        throw new PlatformError({ kind: 'malformed', platform: 'steam', endpoint: 'steam.GetPlayerAchievements', message: 'bad body' });
      }
    });
    const syncId = await createSyncLog(t.db, user, 'steam');
    const error = await engine.run({ syncId, userId: user, platform: 'steam', mode: 'incremental' }, { attemptsMade: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncAttemptError);
    expect((error as SyncAttemptError).cause).toBeInstanceOf(PlatformError);
    const stored = (await userRows(user)).progress.map((p) => p.platform_game_id);
    expect(stored).toContain('m1');
    expect(stored).not.toContain('m6');
    const m6 = await sql`select count(*)::int as n from user_achievements where platform_game_id = 'm6'`.execute(t.db);
    expect(m6.rows[0]).toEqual({ n: 0 });
    expect(await parityViolations(t.db)).toEqual([]);

    // The rerun (a retry) resumes: only what was not written is fetched, and the end state is complete.
    platform.setFault(undefined);
    platform.resetCalls();
    const rerun = await engine.run({ syncId, userId: user, platform: 'steam', mode: 'incremental' }, { attemptsMade: 1 });
    expect(rerun.outcome).toBe('succeeded');
    expect(platform.calls.unlocks.has('m1')).toBe(false);
    expect((await userRows(user)).progress).toHaveLength(7);
    const row = await t.db.selectFrom('sync_logs').select(['status', 'attempts']).where('id', '=', syncId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'succeeded', attempts: 2 });
  });

  it('fetched definitions whose write failed are not handed to later jobs: the next run fetches them again', async () => {
    const { platform, engine } = env;
    platform.addGame('w1', 2);
    const user = await createUser(t.db);
    await linkAccount(t.db, user, 'steam', 'acct-wf');
    platform.own('acct-wf', 'w1', 1);
    // The database refuses this title's definitions once: the batch's transaction rolls back.
    await sql`create function test_refuse_w1() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`.execute(t.db);
    await sql`create trigger test_refuse_w1 before insert on achievements for each row when (new.platform_game_id = 'w1') execute function test_refuse_w1()`.execute(t.db);
    const syncId = await createSyncLog(t.db, user, 'steam');
    const job = { syncId, userId: user, platform: 'steam' as const, mode: 'incremental' as const };
    try {
      const failed = await engine.run(job, { attemptsMade: 0 }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(SyncAttemptError);
    } finally {
      await sql`drop trigger test_refuse_w1 on achievements`.execute(t.db);
      await sql`drop function test_refuse_w1()`.execute(t.db);
    }

    // The retry of the same job.
    platform.resetCalls();
    const result = await engine.run(job, { attemptsMade: 1 });
    expect(result.outcome).toBe('succeeded');
    expect(platform.calls.metadata.get('w1')).toBe(1);
    expect((await userRows(user)).progress).toMatchObject([{ platform_game_id: 'w1', achievements_total: 2, achievements_earned: 1 }]);
  });

  it('a run whose sync_logs row is already terminal does nothing', async () => {
    const { platform, engine } = env;
    platform.addGame('d1', 1);
    const user = await createUser(t.db);
    await linkAccount(t.db, user, 'steam', 'acct-dup');
    platform.own('acct-dup', 'd1', 1);
    const { syncId } = await sync(engine, user);
    platform.resetCalls();
    const again = await engine.run({ syncId, userId: user, platform: 'steam', mode: 'incremental' }, { attemptsMade: 0 });
    expect(again).toEqual({ outcome: 'skipped', reason: 'already succeeded' });
    expect(platform.calls.list).toBe(0);
    const row = await t.db.selectFrom('sync_logs').select('attempts').where('id', '=', syncId).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(1);
  });
});
