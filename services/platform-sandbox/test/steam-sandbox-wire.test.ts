import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSteamClient, type SteamClient } from '@ach/platform-clients';
import { startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import { platformErrorOf } from '@ach/testing';
import {
  EMPTY_OBJECT_BODY,
  INTERNAL_ERROR_HTML,
  INVALID_KEY_HTML,
  NO_SCHEMA_BODY,
  NO_STATS_BODY,
} from '../src/steam/steam-bodies.ts';

/** The recorded Steam bodies (copied byte for byte into the client package's test fixtures). */
const RECORDED = join(import.meta.dirname, '../../../packages/platform-clients/test/fixtures/steam');
const recorded = (file: string) => readFileSync(join(RECORDED, file), 'utf8');

const KEY = 'sandbox-steam-key';
const ME = '76561198046174695';
const DEMO = '76561198000000001';
const PRIVATE = '76561198000000003';

let sandbox: StartedSandbox;
let steam: SteamClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  steam = createSteamClient({ baseUrl: sandbox.url, apiKey: KEY, timeoutMs: 5_000 });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.state.reset());


const get = (path: string) => fetch(`${sandbox.url}${path}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw wire bodies, inspected field by field
const getJson = async (path: string): Promise<any> => (await get(path)).json();

describe('sandbox Steam error bodies are the recorded ones', () => {
  it.each([
    ['error-forbidden-invalid-key-403.html', INVALID_KEY_HTML],
    ['error-internal-server-error-500.html', INTERNAL_ERROR_HTML],
    ['get-player-achievements-no-stats-400.json', NO_STATS_BODY],
    ['get-schema-for-game-no-schema.json', NO_SCHEMA_BODY],
    ['get-global-achievement-percentages-error-403.json', EMPTY_OBJECT_BODY],
    ['get-user-stats-for-game-no-stats-400.json', EMPTY_OBJECT_BODY],
  ])('%s', (file, constant) => {
    expect(constant).toBe(recorded(file));
  });

  it('a wrong or missing key gets the recorded 403 HTML page, on the wire', async () => {
    for (const query of [`key=wrong&steamid=${ME}`, `steamid=${ME}`]) {
      const response = await get(`/IPlayerService/GetOwnedGames/v1/?${query}`);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      expect(await response.text()).toBe(recorded('error-forbidden-invalid-key-403.html'));
    }
  });

  it('a non-numeric steamid gets the recorded 500 HTML page', async () => {
    const response = await get(`/IPlayerService/GetOwnedGames/v0001?key=${KEY}&steamid=aaa`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe(recorded('error-internal-server-error-500.html'));
  });

  it('answers at v1, v0001, with and without a trailing slash', async () => {
    for (const path of ['/IPlayerService/GetOwnedGames/v1/', '/IPlayerService/GetOwnedGames/v1', '/IPlayerService/GetOwnedGames/v0001']) {
      const response = await get(`${path}?key=${KEY}&steamid=${ME}&include_appinfo=1`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    }
  });
});

describe('the Steam client against the sandbox', () => {
  it('GetOwnedGames: the library with app info, in the recorded field order', async () => {
    const games = await steam.getOwnedGames(ME);
    const library = sandbox.state.steam.library(ME)!;
    expect(games).toHaveLength(45);
    expect(games.map((g) => g.appId)).toEqual(library.games.map((g) => g.appid));
    expect(games.every((g) => g.name && g.iconUrl?.startsWith(`https://media.steampowered.com/steamcommunity/public/images/apps/${g.appId}/`))).toBe(true);
    expect(games.filter((g) => !g.hasCommunityVisibleStats).length).toBe(library.games.filter((g) => !g.hasStats).length);

    const raw = await getJson(`/IPlayerService/GetOwnedGames/v1/?key=${KEY}&steamid=${ME}&include_appinfo=1`);
    const modern = JSON.parse(recorded('get-owned-games-modern-appinfo.json')).response.games as Record<string, unknown>[];
    const withStats = modern.find((g) => g.has_community_visible_stats && !g.content_descriptorids && !g.has_leaderboards)!;
    const ours = raw.response.games.find((g: Record<string, unknown>) => g.has_community_visible_stats)!;
    expect(Object.keys(ours)).toEqual(Object.keys(withStats));
    expect(Object.keys(raw.response)).toEqual(['game_count', 'games']);
  });

  it('GetOwnedGames for a private or unknown profile is kind private', async () => {
    expect(await platformErrorOf(steam.getOwnedGames(PRIVATE))).toMatchObject({ kind: 'private', code: 'profile_private' });
    expect(await platformErrorOf(steam.getOwnedGames('76561198999999999'))).toMatchObject({ kind: 'private' });
  });

  it('GetPlayerAchievements: unlock times and earned state match the state', async () => {
    const library = sandbox.state.steam.library(ME)!;
    const game = library.games.find((g) => g.hasStats && g.earnedCount > 0)!;
    const result = await steam.getPlayerAchievements(ME, game.appid);
    if (!result.hasStats) throw new Error('expected stats');
    expect(result.gameName).toBe(game.name);
    expect(result.achievements.map((a) => [a.apiName, a.achieved, a.unlockTime])).toEqual(game.achievements.map((a) => [a.apiname, a.achieved, a.unlocktime]));
    expect(result.achievements.filter((a) => a.achieved).every((a) => a.unlockedAt instanceof Date)).toBe(true);
  });

  it('GetPlayerAchievements: no stats → the typed no-stats answer; private → kind private', async () => {
    const noStats = sandbox.state.steam.library(ME)!.games.find((g) => !g.hasStats)!;
    expect(await steam.getPlayerAchievements(ME, noStats.appid)).toEqual({ hasStats: false });
    expect(await steam.getPlayerAchievements(ME, 999_999_999_990)).toEqual({ hasStats: false });
    expect(await platformErrorOf(steam.getPlayerAchievements(PRIVATE, 10))).toMatchObject({ kind: 'private', status: 403 });
  });

  it('GetSchemaForGame: definitions with hidden flags and missing descriptions; no schema → empty', async () => {
    const game = sandbox.state.steam.game(10)!;
    const schema = await steam.getSchemaForGame(10);
    expect(schema.gameName).toBe(game.name);
    expect(schema.achievements).toHaveLength(20);
    expect(schema.achievements.filter((a) => a.hidden)).toHaveLength(2);
    expect(schema.achievements.map((a) => a.description)).toEqual(game.achievements.map((a) => a.description ?? null));
    const noStats = sandbox.state.steam.library(ME)!.games.find((g) => !g.hasStats)!;
    expect(await steam.getSchemaForGame(noStats.appid)).toEqual({ gameName: null, gameVersion: null, achievements: [] });
  });

  it('GetGlobalAchievementPercentagesForApp: float and string percents both become numbers; no stats → []', async () => {
    for (const appid of [10, 20]) {
      const percentages = await steam.getGlobalAchievementPercentages(appid);
      expect(percentages).toHaveLength(20);
      expect(percentages.every((p) => typeof p.percent === 'number' && p.percent > 0 && p.percent <= 100)).toBe(true);
    }
    const rawOdd = await getJson('/ISteamUserStats/GetGlobalAchievementPercentagesForApp/v2/?gameid=10');
    const rawEven = await getJson('/ISteamUserStats/GetGlobalAchievementPercentagesForApp/v0002/?gameid=20');
    expect(typeof rawOdd.achievementpercentages.achievements[0].percent).toBe('string');
    expect(typeof rawEven.achievementpercentages.achievements[0].percent).toBe('number');
    const noStats = sandbox.state.steam.library(ME)!.games.find((g) => !g.hasStats)!;
    expect(await steam.getGlobalAchievementPercentages(noStats.appid)).toEqual([]);
  });

  it('GetPlayerSummaries: public and private profiles; unknown ids absent', async () => {
    const players = await steam.getPlayerSummaries([ME, PRIVATE, '76561198999999999']);
    expect(players.map((p) => [p.steamId, p.isPublic])).toEqual([
      [ME, true],
      [PRIVATE, false],
    ]);
    expect(players[0]!.personaName).toBe('gravin79');
  });

  it('ResolveVanityURL: hit (case-insensitive) and miss', async () => {
    expect(await steam.resolveVanityUrl('sandbox-demo')).toBe(DEMO);
    expect(await steam.resolveVanityUrl('Sandbox-Demo')).toBe(DEMO);
    expect(await steam.resolveVanityUrl('no-such-name')).toBeNull();
  });

  it('GetRecentlyPlayedGames: a game just played shows up', async () => {
    const appid = sandbox.state.steam.library(DEMO)!.games.find((g) => g.hasStats)!.appid;
    sandbox.state.steam.earn(DEMO, appid, 1);
    const recent = await steam.getRecentlyPlayedGames(DEMO);
    expect(recent.games.map((g) => g.appId)).toContain(appid);
  });

  it('a wrong key is kind config on every keyed endpoint', async () => {
    const bad = createSteamClient({ baseUrl: sandbox.url, apiKey: 'wrong' });
    for (const call of [() => bad.getOwnedGames(ME), () => bad.getPlayerAchievements(ME, 10), () => bad.getSchemaForGame(10), () => bad.getPlayerSummaries([ME]), () => bad.resolveVanityUrl('x1')]) {
      expect(await platformErrorOf(call())).toMatchObject({ kind: 'config', status: 403 });
    }
    // The only keyless endpoint still works.
    expect(await bad.getGlobalAchievementPercentages(10)).toHaveLength(20);
  });
});

describe('injected faults reach the client as the right error kind', () => {
  const cases = [
    { kind: 'rate_limited', retryAfterSeconds: 3, expected: { kind: 'rate_limited', status: 429, retryAfterMs: 3000 } },
    { kind: 'server_error', expected: { kind: 'transient', status: 500 } },
    { kind: 'unauthorized', expected: { kind: 'config', status: 401 } },
    { kind: 'forbidden', expected: { kind: 'config', status: 403 } },
    { kind: 'malformed_json', expected: { kind: 'malformed', status: 200 } },
    { kind: 'garbage', expected: { kind: 'malformed', status: 200 } },
  ] as const;

  for (const c of cases) {
    it(`${c.kind} → ${c.expected.kind}, consumed once`, async () => {
      sandbox.state.faults.add({ endpoint: 'steam.GetOwnedGames', kind: c.kind, count: 1, ...('retryAfterSeconds' in c ? { retryAfterSeconds: c.retryAfterSeconds } : {}) });
      expect(await platformErrorOf(steam.getOwnedGames(ME))).toMatchObject(c.expected);
      expect(await steam.getOwnedGames(ME)).toHaveLength(45);
      expect(sandbox.state.calls.count('steam.GetOwnedGames')).toBe(2);
    });
  }

  it('timeout: held past the client timeout → transient; the next request is served', async () => {
    sandbox.state.faults.add({ endpoint: 'steam.GetSchemaForGame', kind: 'timeout', holdMs: 3_000 });
    const impatient = createSteamClient({ baseUrl: sandbox.url, apiKey: KEY, timeoutMs: 200 });
    const started = Date.now();
    expect(await platformErrorOf(impatient.getSchemaForGame(10))).toMatchObject({ kind: 'transient' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await impatient.getSchemaForGame(10)).achievements).toHaveLength(20);
  });

  it('a fault matching one appid leaves the other games alone', async () => {
    sandbox.state.faults.add({ endpoint: 'steam.GetPlayerAchievements', kind: 'server_error', count: 2, match: { appid: '20' } });
    expect((await steam.getPlayerAchievements(ME, 10)).hasStats).toBe(true);
    expect(await platformErrorOf(steam.getPlayerAchievements(ME, 20))).toMatchObject({ kind: 'transient' });
    expect(await platformErrorOf(steam.getPlayerAchievements(ME, 20))).toMatchObject({ kind: 'transient' });
    expect((await steam.getPlayerAchievements(ME, 20)).hasStats).toBe(true);
    expect(sandbox.state.faults.list()).toEqual([]);
    expect(sandbox.state.calls.count('steam.GetPlayerAchievements', { appid: '20' })).toBe(3);
    expect(sandbox.state.calls.count('steam.GetPlayerAchievements', { appid: '10' })).toBe(1);
    expect(sandbox.state.calls.count('steam.GetPlayerAchievements', { appid: '20', steamid: ME })).toBe(3);
  });
});

describe('an incremental sync can notice what changed', () => {
  it('earn moves rtime_last_played and playtime and shows the unlocks', async () => {
    const before = await steam.getOwnedGames(DEMO);
    const target = sandbox.state.steam.library(DEMO)!.games.find((g) => g.hasStats && g.earnedCount < g.achievements.length)!;
    const oldGame = before.find((g) => g.appId === target.appid)!;
    const { earned } = sandbox.state.steam.earn(DEMO, target.appid, 2);
    expect(earned).toHaveLength(2);

    const after = await steam.getOwnedGames(DEMO);
    const changed = after.filter((g) => {
      const old = before.find((b) => b.appId === g.appId)!;
      return old.rtimeLastPlayed !== g.rtimeLastPlayed || old.playtimeForeverMinutes !== g.playtimeForeverMinutes;
    });
    expect(changed.map((g) => g.appId)).toEqual([target.appid]);
    expect(changed[0]!.rtimeLastPlayed).toBeGreaterThan(oldGame.rtimeLastPlayed);
    expect(changed[0]!.playtimeForeverMinutes).toBeGreaterThan(oldGame.playtimeForeverMinutes);

    const achievements = await steam.getPlayerAchievements(DEMO, target.appid);
    if (!achievements.hasStats) throw new Error('expected stats');
    expect(achievements.achievements.filter((a) => a.achieved)).toHaveLength(target.earnedCount + 2);
    for (const name of earned) expect(achievements.achievements.find((a) => a.apiName === name)).toMatchObject({ achieved: true });
  });

  it('making a profile private turns the next GetOwnedGames into kind private', async () => {
    sandbox.state.steam.setPrivate(DEMO, true);
    expect(await platformErrorOf(steam.getOwnedGames(DEMO))).toMatchObject({ kind: 'private' });
  });
});
