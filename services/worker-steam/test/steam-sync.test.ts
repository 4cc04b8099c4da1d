import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SteamAccountOptions } from '@ach/platform-sandbox';
import { createSteamClient } from '@ach/platform-clients';
import { createSteamAdapter, steam } from '@ach/platform-registry';
import { changedKeys, rowVersions } from '@ach/testing';
import { parityBreaches as parityViolations } from '@ach/library';
import { createSteamSyncHarness, type SteamSyncHarness } from './support/steam-sync-harness.ts';

/** One catalogue shelf: every account below owns the same games from the first one up. */
const SHAPE: SteamAccountOptions = { achievementsPerGame: 8, hiddenRatio: 0.25, noStatsRatio: 0.2, earnedRatio: 0.5 };
const ACCOUNTS = {
  full: '76561198000000201',
  second: '76561198000000202',
  private: '76561198000000203',
  flaky: '76561198000000205',
  malformed: '76561198000000206',
  rateLimited: '76561198000000207',
  twinA: '76561198000000208',
  twinB: '76561198000000209',
};
/** Another shelf, so these games are new to the database when the twins sync. */
const TWIN_SHAPE: SteamAccountOptions = { achievementsPerGame: 5, hiddenRatio: 0.2, noStatsRatio: 0, earnedRatio: 0.3, games: 8 };

let h: SteamSyncHarness;

beforeAll(async () => {
  h = await createSteamSyncHarness([
    { steamId: ACCOUNTS.full, options: { ...SHAPE, games: 12 } },
    { steamId: ACCOUNTS.second, options: { ...SHAPE, games: 10 } },
    { steamId: ACCOUNTS.private, options: { ...SHAPE, games: 5, private: true } },
    { steamId: ACCOUNTS.flaky, options: { ...SHAPE, games: 6 } },
    { steamId: ACCOUNTS.malformed, options: { ...SHAPE, games: 12 } },
    { steamId: ACCOUNTS.rateLimited, options: { ...SHAPE, games: 6 } },
    { steamId: ACCOUNTS.twinA, options: TWIN_SHAPE },
    { steamId: ACCOUNTS.twinB, options: TWIN_SHAPE },
  ]);
  await h.startWorker();
});

afterAll(async () => {
  await h?.close();
});

const calls = (endpoint: string, match?: Record<string, string>) => h.sandbox.state.calls.count(endpoint, match);

async function syncAndWait(userId: string, mode: 'incremental' | 'full' = 'incremental') {
  const syncId = await h.requestSync(userId, mode);
  const job = await h.settled(syncId);
  const log = await h.db.selectFrom('sync_logs').selectAll().where('id', '=', syncId).executeTakeFirstOrThrow();
  return { syncId, job, log };
}

async function linkedUser(steamId: string) {
  const user = await h.createUser();
  await h.link(user, steamId);
  return user;
}

/** Asserts the database holds exactly what the sandbox holds for this account. */
async function expectMirrors(userId: string, steamId: string) {
  const library = h.sandbox.state.steam.library(steamId)!;
  const progress = await h.db.selectFrom('user_progress').selectAll().where('user_id', '=', userId).execute();
  expect(progress.map((p) => p.platform_game_id).sort()).toEqual(library.games.map((g) => String(g.appid)).sort());
  for (const owned of library.games) {
    const appid = String(owned.appid);
    const definition = h.sandbox.state.steam.game(owned.appid)!;
    const game = await h.db.selectFrom('games').selectAll().where('platform_id', '=', 3).where('platform_game_id', '=', appid).executeTakeFirstOrThrow();
    expect(game.name).toBe(definition.name);
    expect(game.icon_url).toBe(`https://media.steampowered.com/steamcommunity/public/images/apps/${owned.appid}/${definition.iconHash}.jpg`);
    expect(game.achievements_total).toBe(definition.achievements.length);

    const achievements = await h.db.selectFrom('achievements').selectAll().where('platform_id', '=', 3).where('platform_game_id', '=', appid).execute();
    expect(achievements.map((a) => a.platform_achievement_id).sort()).toEqual(definition.achievements.map((a) => a.apiname).sort());
    for (const a of definition.achievements) {
      const row = achievements.find((r) => r.platform_achievement_id === a.apiname)!;
      expect(row.name).toBe(a.displayName);
      expect(row.description).toBe(a.description ?? null);
      expect(row.hidden).toBe(a.hidden);
      expect(row.icon_url).toBe(`https://cdn.akamai.steamstatic.com/steamcommunity/public/images/apps/${owned.appid}/${a.iconHash}.jpg`);
      expect(row.icon_locked_url).toBe(`https://cdn.akamai.steamstatic.com/steamcommunity/public/images/apps/${owned.appid}/${a.iconGrayHash}.jpg`);
      // Odd appid/10 sends the percentage as a one-decimal string, even ones as a float.
      const sent = (owned.appid / 10) % 2 === 1 ? Number(a.globalPercent.toFixed(1)) : a.globalPercent;
      expect(row.rarity_percentage).toBeCloseTo(sent, 3);
    }

    const unlocks = await h.db.selectFrom('user_achievements').selectAll().where('user_id', '=', userId).where('platform_game_id', '=', appid).execute();
    const earned = owned.achievements.filter((a) => a.achieved);
    expect(unlocks.map((u) => [u.platform_achievement_id, u.earned_at?.getTime()]).sort()).toEqual(
      earned.map((a) => [a.apiname, a.unlocktime * 1000]).sort(),
    );
    const p = progress.find((row) => row.platform_game_id === appid)!;
    expect(p).toMatchObject({ achievements_total: definition.achievements.length, achievements_earned: earned.length, playtime_minutes: owned.playtimeForever });
    expect(p.last_played_at?.getTime() ?? 0).toBe(owned.rtimeLastPlayed * 1000);
  }
  expect(await parityViolations(h.db)).toEqual([]);
}

describe('worker-steam against the sandbox', () => {
  it('a first sync stores every game, achievement (rarity, hidden, icons) and unlock the sandbox holds, nothing else', async () => {
    const user = await linkedUser(ACCOUNTS.full);
    const { job, log } = await syncAndWait(user);
    expect(job.failedReason).toBeUndefined();
    expect(log).toMatchObject({ status: 'succeeded', progress: 100 });
    await expectMirrors(user, ACCOUNTS.full);
    const library = h.sandbox.state.steam.library(ACCOUNTS.full)!;
    // Nothing else: only this account's games exist so far.
    const games = await sql<{ n: number }>`select count(*)::int as n from games`.execute(h.db);
    expect(games.rows[0]!.n).toBe(library.games.length);
    // Games without stats are stored with 0 achievements, not an error (and cost no unlock call).
    const noStats = library.games.filter((g) => !g.hasStats);
    expect(noStats.length).toBeGreaterThan(0);
    const stats = log.stats as unknown as { apiCalls: Record<string, number>; gamesSeen: number };
    expect(stats.gamesSeen).toBe(12);
    expect(stats.apiCalls['steam.GetOwnedGames']).toBe(1);
    expect(stats.apiCalls['steam.GetPlayerAchievements']).toBe(12 - noStats.length);
  });

  it('incremental: 3 new unlocks in one game cost one list call plus that game, and write only those rows; a no-change resync writes nothing', async () => {
    const user = await linkedUser(ACCOUNTS.second);
    await syncAndWait(user);
    const library = h.sandbox.state.steam.library(ACCOUNTS.second)!;
    const target = library.games.find((g) => g.hasStats && g.achievements.filter((a) => !a.achieved).length >= 3)!;
    const earned = h.sandbox.state.steam.earn(ACCOUNTS.second, target.appid, 3).earned;
    expect(earned).toHaveLength(3);

    h.sandbox.state.calls.clear();
    const before = await rowVersions(h.db, user);
    const { log } = await syncAndWait(user);
    expect(log.status).toBe('succeeded');
    expect(Object.keys(h.sandbox.state.calls.snapshot())).toEqual(['steam.GetOwnedGames', 'steam.GetPlayerAchievements']);
    expect(calls('steam.GetOwnedGames')).toBe(1);
    expect(calls('steam.GetPlayerAchievements')).toBe(1);
    expect(calls('steam.GetPlayerAchievements', { appid: String(target.appid) })).toBe(1);
    const after = await rowVersions(h.db, user);
    expect(changedKeys(before, after)).toEqual([
      ...earned.map((id) => `user_achievements:${target.appid}:${id}`).sort(),
      `user_progress:${target.appid}`,
    ]);
    await expectMirrors(user, ACCOUNTS.second);

    h.sandbox.state.calls.clear();
    const { log: again } = await syncAndWait(user);
    expect(again.status).toBe('succeeded');
    expect(Object.keys(h.sandbox.state.calls.snapshot())).toEqual(['steam.GetOwnedGames']);
    expect(calls('steam.GetOwnedGames')).toBe(1);
    expect(changedKeys(after, await rowVersions(h.db, user))).toEqual([]);
    expect((again.stats as unknown as { rowsWritten: number }).rowsWritten).toBe(0);
  });

  it('two users owning the same games: schema and global percentages are fetched once per game', async () => {
    h.sandbox.state.calls.clear();
    const [a, b] = [await linkedUser(ACCOUNTS.twinA), await linkedUser(ACCOUNTS.twinB)];
    expect((await syncAndWait(a)).log.status).toBe('succeeded');
    expect((await syncAndWait(b)).log.status).toBe('succeeded');
    const appids = h.sandbox.state.steam.library(ACCOUNTS.twinA)!.games.map((g) => String(g.appid));
    expect(appids).toEqual(h.sandbox.state.steam.library(ACCOUNTS.twinB)!.games.map((g) => String(g.appid)));
    for (const appid of appids) {
      expect(calls('steam.GetSchemaForGame', { appid })).toBe(1);
      expect(calls('steam.GetGlobalAchievementPercentagesForApp', { appid })).toBe(1);
      expect(calls('steam.GetPlayerAchievements', { appid })).toBe(2);
    }
    expect(calls('steam.GetSchemaForGame')).toBe(appids.length);
    await expectMirrors(a, ACCOUNTS.twinA);
    await expectMirrors(b, ACCOUNTS.twinB);
  });

  it('a private profile fails at once with profile_private, no retry, and the account flagged', async () => {
    const user = await linkedUser(ACCOUNTS.private);
    const { job, log } = await syncAndWait(user);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(log).toMatchObject({ status: 'failed', error_code: 'profile_private', attempts: 1 });
    const account = await h.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', user).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ sync_status: 'failed', last_error_code: 'profile_private', needs_attention: true });
  });

  it('a 429 with Retry-After makes the job wait, then it succeeds', async () => {
    const user = await linkedUser(ACCOUNTS.rateLimited);
    h.sandbox.state.faults.add({ endpoint: 'steam.GetOwnedGames', kind: 'rate_limited', retryAfterSeconds: 1, match: { steamid: ACCOUNTS.rateLimited } });
    const started = Date.now();
    const { job, log } = await syncAndWait(user);
    expect(await job.getState()).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(job.attemptsMade).toBe(1);
    expect(log).toMatchObject({ status: 'succeeded', attempts: 2 });
    await expectMirrors(user, ACCOUNTS.rateLimited);
  });

  it('three 500s are retried with backoff and the sync succeeds', async () => {
    const user = await linkedUser(ACCOUNTS.flaky);
    h.sandbox.state.faults.add({ endpoint: 'steam.GetOwnedGames', kind: 'server_error', count: 3, match: { steamid: ACCOUNTS.flaky } });
    const { job, log } = await syncAndWait(user);
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(4);
    expect(log).toMatchObject({ status: 'succeeded', attempts: 4 });
    await expectMirrors(user, ACCOUNTS.flaky);
  });

  it('malformed JSON for one game fails the job with the reason; games written before it are kept', async () => {
    const user = await linkedUser(ACCOUNTS.malformed);
    const library = h.sandbox.state.steam.library(ACCOUNTS.malformed)!;
    const withStats = library.games.filter((g) => g.hasStats);
    const bad = withStats[withStats.length - 1]!;
    h.sandbox.state.faults.add({ endpoint: 'steam.GetPlayerAchievements', kind: 'malformed_json', match: { steamid: ACCOUNTS.malformed, appid: String(bad.appid) } });
    const { job, log } = await syncAndWait(user);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(log.status).toBe('failed');
    expect(log.error_code).toBe('platform_malformed_response');
    // Our words and our label for the call; what Steam sent stays in the logs.
    expect(log.error_message).toBe('Steam answered something this server cannot read (steam.GetPlayerAchievements)');
    const stored = await h.db.selectFrom('user_progress').select('platform_game_id').where('user_id', '=', user).execute();
    const ids = stored.map((s) => s.platform_game_id);
    expect(ids).not.toContain(String(bad.appid));
    expect(ids.length).toBeGreaterThan(0);
    const half = await h.db.selectFrom('user_achievements').select('platform_achievement_id').where('user_id', '=', user).where('platform_game_id', '=', String(bad.appid)).execute();
    expect(half).toEqual([]);
    expect(await parityViolations(h.db)).toEqual([]);
  });

  it('the adapter reports a game without stats as an empty result, not an error', async () => {
    const library = h.sandbox.state.steam.library(ACCOUNTS.full)!;
    const noStats = library.games.find((g) => !g.hasStats)!;
    const adapter = createSteamAdapter(createSteamClient({ baseUrl: h.sandbox.url, apiKey: h.env.STEAM_API_KEY }), steam);
    const account = { userId: 'x', externalAccountId: ACCOUNTS.full, credentials: () => null, saveCredentials: async () => {} };
    const title = { platformGameId: String(noStats.appid), name: noStats.name, iconUrl: null, changeMarker: '', lastPlayedAt: null, playtimeMinutes: null };
    expect(await adapter.fetchUserUnlocks(account, title)).toEqual({ unlocks: [] });
    expect(await adapter.fetchGameMetadata(account, title)).toEqual({ achievements: [] });
  });
});
