import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSteamClient, type SteamClient } from '@ach/platform-clients';
import { startFixtureServer, type ServedResponse } from './steam-fixture-server.ts';
import { platformErrorOf } from '@ach/testing';

/** Steam items of the shared fixture index; bodies are byte-for-byte copies (sha256 checked below). */
const FIXTURES = join(import.meta.dirname, 'fixtures');
interface FixtureItem {
  file: string;
  endpoint: string;
  params: Record<string, string>;
  request: { url: string };
  response: { status: number; contentType: string };
  sha256: string;
}
const index = JSON.parse(readFileSync(join(FIXTURES, 'steam-index.json'), 'utf8')) as { items: FixtureItem[] };
const body = (item: FixtureItem) => readFileSync(join(FIXTURES, item.file));
const json = (item: FixtureItem) => JSON.parse(body(item).toString('utf8'));

let current: ServedResponse = { status: 500, contentType: 'text/plain', body: 'no fixture selected' };
let server: Awaited<ReturnType<typeof startFixtureServer>>;
let steam: SteamClient;

beforeAll(async () => {
  server = await startFixtureServer(() => current);
  steam = createSteamClient({ baseUrl: server.url, apiKey: 'test-key', timeoutMs: 5_000 });
});
afterAll(() => server.close());

const serveFixture = (item: FixtureItem) => {
  current = { status: item.response.status, contentType: item.response.contentType, body: body(item) };
};


/** Each recorded body through the real client: what the sync engine and the API will see. */
async function exercise(item: FixtureItem) {
  const p = item.params;
  switch (item.endpoint) {
    case 'steam.GetOwnedGames': {
      const games = await steam.getOwnedGames(p.steamid!);
      const raw = json(item).response;
      expect(games).toHaveLength(raw.games.length);
      expect(raw.game_count).toBe(raw.games.length);
      const first = raw.games[0];
      expect(games[0]).toMatchObject({ appId: first.appid, playtimeForeverMinutes: first.playtime_forever, rtimeLastPlayed: first.rtime_last_played ?? 0 });
      if (p.include_appinfo === '1') {
        expect(games.every((g) => typeof g.name === 'string' && g.name.length > 0)).toBe(true);
        expect(games[0]!.iconUrl).toBe(`https://media.steampowered.com/steamcommunity/public/images/apps/${first.appid}/${first.img_icon_url}.jpg`);
      } else {
        expect(games[0]!.name).toBeNull();
      }
      const withStats = raw.games.filter((g: { has_community_visible_stats?: boolean }) => g.has_community_visible_stats).length;
      expect(games.filter((g) => g.hasCommunityVisibleStats)).toHaveLength(withStats);
      const lastPlayed = games.find((g) => g.rtimeLastPlayed > 0);
      if (lastPlayed) expect(lastPlayed.lastPlayedAt?.getTime()).toBe(lastPlayed.rtimeLastPlayed * 1000);
      return;
    }
    case 'steam.GetRecentlyPlayedGames': {
      const recent = await steam.getRecentlyPlayedGames(p.steamid!, p.count === undefined ? undefined : Number(p.count));
      const raw = json(item).response;
      expect(recent.totalCount).toBe(raw.total_count);
      expect(recent.games.map((g) => g.appId)).toEqual(raw.games.map((g: { appid: number }) => g.appid));
      return;
    }
    case 'steam.GetPlayerAchievements': {
      const result = await steam.getPlayerAchievements(p.steamid!, Number(p.appid));
      if (item.response.status === 400) {
        expect(result).toEqual({ hasStats: false });
        return;
      }
      const raw = json(item).playerstats;
      if (!result.hasStats) throw new Error('expected stats');
      expect(result.gameName).toBe(raw.gameName);
      expect(result.achievements).toHaveLength(raw.achievements.length);
      expect(result.achievements.filter((a) => a.achieved)).toHaveLength(raw.achievements.filter((a: { achieved: number }) => a.achieved === 1).length);
      // 2015 recording: no unlocktime, so earned achievements carry no time rather than 1970.
      expect(result.achievements[0]).toEqual({ apiName: raw.achievements[0].apiname, achieved: true, unlockTime: 0, unlockedAt: null });
      return;
    }
    case 'steam.GetSchemaForGame': {
      const schema = await steam.getSchemaForGame(Number(p.appid));
      const raw = json(item).game;
      const achievements = raw.availableGameStats?.achievements ?? [];
      expect(schema.achievements).toHaveLength(achievements.length);
      expect(schema.gameName).toBe(raw.gameName ?? null);
      if (achievements.length > 0) {
        const hiddenWithoutDescription = schema.achievements.find((a) => a.hidden && a.description === null);
        expect(hiddenWithoutDescription, 'the Civ V schema has hidden achievements without a description').toBeDefined();
        expect(schema.achievements[0]).toEqual({
          apiName: achievements[0].name,
          displayName: achievements[0].displayName,
          description: achievements[0].description,
          hidden: false,
          iconUrl: achievements[0].icon,
          iconGrayUrl: achievements[0].icongray,
        });
      }
      return;
    }
    case 'steam.GetGlobalAchievementPercentagesForApp': {
      const percentages = await steam.getGlobalAchievementPercentages(Number(p.gameid) || 0);
      if (item.response.status === 403) {
        expect(percentages).toEqual([]);
        return;
      }
      const raw = json(item).achievementpercentages.achievements;
      // The recording ends with a junk row {"name":"","percent":55132.2}: dropped, not fatal.
      expect(raw.at(-1)).toMatchObject({ name: '' });
      expect(percentages).toHaveLength(raw.length - 1);
      expect(percentages[0]).toEqual({ apiName: raw[0].name, percent: raw[0].percent });
      expect(percentages.every((a) => typeof a.percent === 'number' && a.percent >= 0 && a.percent <= 100)).toBe(true);
      return;
    }
    case 'steam.GetUserStatsForGame': {
      const stats = await steam.getUserStatsForGame(p.steamid!, Number(p.appid));
      if (item.response.status === 400) {
        expect(stats).toEqual({ hasStats: false });
        return;
      }
      const raw = json(item).playerstats;
      if (!stats.hasStats) throw new Error('expected stats');
      expect(stats.achievements).toHaveLength(raw.achievements.length);
      expect(stats.stats).toHaveLength(raw.stats.length);
      return;
    }
    case 'steam.GetPlayerSummaries': {
      const ids = p.steamids!.split(',');
      const players = await steam.getPlayerSummaries(ids);
      expect(players.map((x) => x.steamId)).toEqual(ids);
      const raw = json(item).response.players[0];
      expect(players[0]).toEqual({
        steamId: raw.steamid,
        personaName: raw.personaname,
        profileUrl: raw.profileurl,
        avatarUrl: raw.avatarfull,
        communityVisibilityState: 3,
        isPublic: true,
      });
      return;
    }
    case 'steam.ResolveVanityURL': {
      expect(await steam.resolveVanityUrl(p.vanityurl!)).toBe(json(item).response.steamid);
      return;
    }
    case 'steam.invalidKey': {
      // Whatever the call, a rejected key is our misconfiguration, never "private" and never retried.
      for (const call of [() => steam.getPlayerSummaries(['76561198046174695']), () => steam.getOwnedGames('76561198046174695'), () => steam.getPlayerAchievements('76561198046174695', 8930)]) {
        const error = await platformErrorOf(call());
        expect(error).toMatchObject({ kind: 'config', code: 'platform_misconfigured', status: 403, platform: 'steam' });
      }
      return;
    }
    case 'steam.internalError': {
      const error = await platformErrorOf(steam.getRecentlyPlayedGames('76561198046174695'));
      expect(error).toMatchObject({ kind: 'transient', status: 500, endpoint: 'steam.GetRecentlyPlayedGames' });
      return;
    }
    default:
      throw new Error(`no expectation written for Steam fixture endpoint ${item.endpoint} (${item.file})`);
  }
}

describe('every recorded Steam body through the Steam client', () => {
  it('the copies are byte-identical to the recorded bodies', () => {
    expect(index.items.length).toBeGreaterThanOrEqual(19);
    for (const item of index.items) expect(createHash('sha256').update(body(item)).digest('hex'), item.file).toBe(item.sha256);
  });

  for (const item of index.items) {
    it(`${item.file} (${item.endpoint}, HTTP ${item.response.status})`, async () => {
      serveFixture(item);
      await exercise(item);
    });
  }
});

describe('Steam client requests', () => {
  const owned = index.items.find((i) => i.file.endsWith('get-owned-games-appinfo.json'))!;

  it('asks GetOwnedGames with app info and free games, the key and the steamid as a string', async () => {
    serveFixture(owned);
    const before = server.requests.length;
    await steam.getOwnedGames('76561198046174695');
    const url = server.requests[before]!;
    expect(url.pathname).toBe('/IPlayerService/GetOwnedGames/v1/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      key: 'test-key',
      steamid: '76561198046174695',
      include_appinfo: '1',
      include_played_free_games: '1',
      format: 'json',
    });
  });

  it('sends no key to GetGlobalAchievementPercentagesForApp and uses gameid', async () => {
    serveFixture(index.items.find((i) => i.endpoint === 'steam.GetGlobalAchievementPercentagesForApp' && i.response.status === 200)!);
    const before = server.requests.length;
    await steam.getGlobalAchievementPercentages(8930);
    const url = server.requests[before]!;
    expect(url.pathname).toBe('/ISteamUserStats/GetGlobalAchievementPercentagesForApp/v2/');
    expect(url.searchParams.get('gameid')).toBe('8930');
    expect(url.searchParams.has('key')).toBe(false);
  });

  it('batches GetPlayerSummaries by 100 ids', async () => {
    current = { status: 200, contentType: 'application/json', body: '{"response":{"players":[]}}' };
    const before = server.requests.length;
    const ids = Array.from({ length: 150 }, (_, i) => String(76561198000000000n + BigInt(i)));
    await steam.getPlayerSummaries(ids);
    const calls = server.requests.slice(before);
    expect(calls.map((u) => u.searchParams.get('steamids')!.split(',').length)).toEqual([100, 50]);
  });
});

describe('Steam answers that are not in the recordings', () => {
  const jsonAnswer = (status: number, value: unknown, headers?: Record<string, string>): ServedResponse => ({
    status,
    contentType: 'application/json; charset=UTF-8',
    body: typeof value === 'string' ? value : JSON.stringify(value),
    headers,
  });

  it('private profile: GetOwnedGames 200 {"response":{}} is kind private', async () => {
    current = jsonAnswer(200, { response: {} });
    expect(await platformErrorOf(steam.getOwnedGames('76561198046174695'))).toMatchObject({ kind: 'private', code: 'profile_private' });
  });

  it('a public empty library is an empty list, not private', async () => {
    current = jsonAnswer(200, { response: { game_count: 0 } });
    expect(await steam.getOwnedGames('76561198046174695')).toEqual([]);
  });

  it('private profile: GetPlayerAchievements 403 "Profile is not public" is kind private', async () => {
    current = jsonAnswer(403, { playerstats: { error: 'Profile is not public', success: false } });
    expect(await platformErrorOf(steam.getPlayerAchievements('76561198046174695', 440))).toMatchObject({
      kind: 'private',
      code: 'profile_private',
      status: 403,
      endpoint: 'steam.GetPlayerAchievements',
    });
  });

  it('current-format achievements carry unlock times', async () => {
    current = jsonAnswer(200, {
      playerstats: {
        steamID: '76561198046174695',
        gameName: 'Team Fortress 2',
        achievements: [
          { apiname: 'TF_PLAY_GAME_EVERYCLASS', achieved: 1, unlocktime: 1700000000 },
          { apiname: 'TF_WIN_MULTIPLEGAMES', achieved: 0, unlocktime: 0 },
        ],
        success: true,
      },
    });
    const result = await steam.getPlayerAchievements('76561198046174695', 440);
    expect(result).toEqual({
      hasStats: true,
      gameName: 'Team Fortress 2',
      achievements: [
        { apiName: 'TF_PLAY_GAME_EVERYCLASS', achieved: true, unlockTime: 1700000000, unlockedAt: new Date(1700000000_000) },
        { apiName: 'TF_WIN_MULTIPLEGAMES', achieved: false, unlockTime: 0, unlockedAt: null },
      ],
    });
  });

  it('percent as a string becomes a number', async () => {
    current = jsonAnswer(200, { achievementpercentages: { achievements: [{ name: 'A', percent: '12.5' }, { name: 'B', percent: 3 }] } });
    expect(await steam.getGlobalAchievementPercentages(440)).toEqual([
      { apiName: 'A', percent: 12.5 },
      { apiName: 'B', percent: 3 },
    ]);
  });

  it('a percent that is not a number is malformed', async () => {
    current = jsonAnswer(200, { achievementpercentages: { achievements: [{ name: 'A', percent: 'lots' }] } });
    expect(await platformErrorOf(steam.getGlobalAchievementPercentages(440))).toMatchObject({ kind: 'malformed' });
  });

  it('429 is rate_limited with the Retry-After', async () => {
    current = { status: 429, contentType: 'text/html', body: '<html><body>Too Many Requests</body></html>', headers: { 'retry-after': '7' } };
    expect(await platformErrorOf(steam.getOwnedGames('76561198046174695'))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000, status: 429 });
  });

  it('503 is transient', async () => {
    current = { status: 503, contentType: 'text/html', body: '<html><body>Service Unavailable</body></html>' };
    expect(await platformErrorOf(steam.getSchemaForGame(440))).toMatchObject({ kind: 'transient', status: 503 });
  });

  it('401 (key not allowed) is config', async () => {
    current = { status: 401, contentType: 'text/html', body: '<html><head><title>Unauthorized</title></head><body><h1>Unauthorized</h1></body></html>' };
    expect(await platformErrorOf(steam.getOwnedGames('76561198046174695'))).toMatchObject({ kind: 'config', status: 401 });
  });

  it('an HTML page with 200 is malformed', async () => {
    current = { status: 200, contentType: 'text/html', body: '<!DOCTYPE html><html><body>maintenance</body></html>' };
    expect(await platformErrorOf(steam.getOwnedGames('76561198046174695'))).toMatchObject({ kind: 'malformed', status: 200 });
  });

  it('truncated JSON is malformed', async () => {
    current = jsonAnswer(200, '{"response":{"game_count":3,"games":[{"appid":');
    expect(await platformErrorOf(steam.getOwnedGames('76561198046174695'))).toMatchObject({ kind: 'malformed' });
  });

  it('a steamid sent as a JSON number is malformed (precision would already be lost)', async () => {
    current = jsonAnswer(200, '{"response":{"players":[{"steamid":76561198046174695,"communityvisibilitystate":3,"personaname":"x","profileurl":"u","avatar":"a"}]}}');
    expect(await platformErrorOf(steam.getPlayerSummaries(['76561198046174695']))).toMatchObject({ kind: 'malformed' });
  });

  it('ResolveVanityURL success 42 is null', async () => {
    current = jsonAnswer(200, { response: { success: 42, message: 'No match' } });
    expect(await steam.resolveVanityUrl('nobody-here')).toBeNull();
  });

  it('a hung Steam is a transient timeout', async () => {
    const slow = await startFixtureServer(() => ({ status: 200, contentType: 'application/json', body: '{}' }));
    await slow.close();
    const client = createSteamClient({ baseUrl: slow.url, apiKey: 'k', timeoutMs: 200 });
    // The server is gone: connection refused is a network error, also transient.
    expect(await platformErrorOf(client.getOwnedGames('76561198046174695'))).toMatchObject({ kind: 'transient' });
  });

  it('reports each call to onCall without the URL', async () => {
    const calls: unknown[] = [];
    const client = createSteamClient({ baseUrl: server.url, apiKey: 'secret-key', onCall: (c) => calls.push(c) });
    current = jsonAnswer(200, { response: { game_count: 0 } });
    await client.getOwnedGames('76561198046174695');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ platform: 'steam', endpoint: 'steam.GetOwnedGames', status: 200 });
    expect(JSON.stringify(calls)).not.toContain('secret-key');
  });
});
