import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '@ach/platform-sandbox';

const DEMO = '76561198000000001';
const NEW = '76561198000000020';
const KEY = 'sandbox-steam-key';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = createSandbox();
  await sandbox.app.ready();
});
afterAll(() => sandbox.app.close());
beforeEach(() => sandbox.state.reset());

const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  sandbox.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('admin API', () => {
  it('health', async () => {
    const res = await inject('GET', '/__sandbox/health');
    expect(res.json()).toEqual({ ok: true });
  });

  it('creates an account, reads its library, and serves it on the Steam paths', async () => {
    const put = await inject('PUT', `/__sandbox/steam/accounts/${NEW}`, { games: 5, achievementsPerGame: 8, earnedRatio: 1, hiddenRatio: 0, noStatsRatio: 0, private: false, vanity: 'new-player' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ steamId: NEW, gameCount: 5, vanity: 'new-player', private: false });

    const library = (await inject('GET', `/__sandbox/steam/accounts/${NEW}`)).json();
    expect(library.games).toHaveLength(5);
    expect(library.games.every((g: { earnedCount: number }) => g.earnedCount === 8)).toBe(true);
    expect(library).toEqual(sandbox.state.steam.library(NEW));

    const owned = (await inject('GET', `/IPlayerService/GetOwnedGames/v1/?key=${KEY}&steamid=${NEW}&include_appinfo=1`)).json();
    expect(owned.response.game_count).toBe(5);
    const vanity = (await inject('GET', `/ISteamUser/ResolveVanityURL/v1/?key=${KEY}&vanityurl=new-player`)).json();
    expect(vanity).toEqual({ response: { steamid: NEW, success: 1 } });
  });

  it('earn, add games, private, reset-stats round-trip through the state', async () => {
    const game = sandbox.state.steam.library(DEMO)!.games.find((g) => g.hasStats && g.earnedCount < g.achievements.length)!;
    const earn = await inject('POST', `/__sandbox/steam/accounts/${DEMO}/earn`, { appid: game.appid, count: 1 });
    expect(earn.statusCode).toBe(200);
    expect(earn.json().earned).toHaveLength(1);
    expect(sandbox.state.steam.library(DEMO)!.games.find((g) => g.appid === game.appid)!.earnedCount).toBe(game.earnedCount + 1);

    const added = await inject('POST', `/__sandbox/steam/accounts/${DEMO}/games`, { count: 2 });
    expect(added.json()).toEqual({ added: [310, 320] });
    expect(sandbox.state.steam.getAccount(DEMO)!.gameCount).toBe(32);

    expect((await inject('PUT', `/__sandbox/steam/accounts/${DEMO}/private`, { private: true })).json()).toMatchObject({ private: true });
    expect((await inject('GET', `/IPlayerService/GetOwnedGames/v1/?key=${KEY}&steamid=${DEMO}`)).json()).toEqual({ response: {} });

    expect((await inject('POST', `/__sandbox/steam/accounts/${DEMO}/reset-stats`, { appid: game.appid })).statusCode).toBe(204);
    expect(sandbox.state.steam.library(DEMO)!.games.find((g) => g.appid === game.appid)!.earnedCount).toBe(0);

    expect((await inject('POST', '/__sandbox/reset')).statusCode).toBe(204);
    expect(sandbox.state.steam.getAccount(DEMO)).toMatchObject({ private: false, gameCount: 30 });
  });

  it('validates input: 400 with issues, 404 for unknown accounts, 409 for a taken vanity', async () => {
    const bad = await inject('PUT', `/__sandbox/steam/accounts/${NEW}`, { games: -1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toEqual(['games']);
    expect((await inject('PUT', `/__sandbox/steam/accounts/${NEW}`, { games: 1, bogus: true })).statusCode).toBe(400);
    expect((await inject('PUT', '/__sandbox/steam/accounts/123', { games: 1 })).statusCode).toBe(400);
    expect((await inject('POST', `/__sandbox/steam/accounts/${NEW}/earn`, { appid: 10, count: 1 })).statusCode).toBe(404);
    expect((await inject('GET', `/__sandbox/steam/accounts/${NEW}`)).statusCode).toBe(404);
    expect((await inject('PUT', `/__sandbox/steam/accounts/${NEW}`, { vanity: 'gravin79' })).statusCode).toBe(409);
    expect((await inject('POST', '/__sandbox/faults', { endpoint: 'steam.GetOwnedGames', kind: 'nope' })).statusCode).toBe(400);
  });

  it('faults and calls: arm, list, fire once, count, clear', async () => {
    const armed = await inject('POST', '/__sandbox/faults', { endpoint: 'steam.GetSchemaForGame', kind: 'rate_limited', count: 1, retryAfterSeconds: 9, match: { appid: 10 } });
    expect(armed.statusCode).toBe(201);
    expect((await inject('GET', '/__sandbox/faults')).json().faults).toHaveLength(1);

    const limited = await inject('GET', `/ISteamUserStats/GetSchemaForGame/v2/?key=${KEY}&appid=10`);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('9');
    expect((await inject('GET', `/ISteamUserStats/GetSchemaForGame/v2/?key=${KEY}&appid=10`)).statusCode).toBe(200);
    expect((await inject('GET', `/ISteamUserStats/GetSchemaForGame/v2/?key=${KEY}&appid=20`)).statusCode).toBe(200);
    expect((await inject('GET', '/__sandbox/faults')).json().faults).toEqual([]);

    expect((await inject('GET', '/__sandbox/calls')).json()).toEqual({
      calls: { 'steam.GetSchemaForGame': { total: 3, byParam: { 'appid=10': 2, 'appid=20': 1 } } },
    });
    expect((await inject('GET', '/__sandbox/calls?endpoint=steam.GetSchemaForGame&appid=10')).json()).toEqual({
      endpoint: 'steam.GetSchemaForGame',
      match: { appid: '10' },
      count: 2,
    });
    expect((await inject('DELETE', '/__sandbox/calls')).statusCode).toBe(204);
    expect((await inject('GET', '/__sandbox/calls')).json()).toEqual({ calls: {} });

    await inject('POST', '/__sandbox/faults', { endpoint: '*', kind: 'server_error', count: 5 });
    expect((await inject('DELETE', '/__sandbox/faults')).statusCode).toBe(204);
    expect((await inject('GET', `/ISteamUserStats/GetSchemaForGame/v2/?key=${KEY}&appid=10`)).statusCode).toBe(200);
  });

  it('throttled: counts only the 429s of a full request window, not those of an armed rate_limited fault', async () => {
    const xuid = '2535411111111111';
    sandbox.state.xbox.setRateLimit(xuid, [{ maxRequests: 1, periodSeconds: 300 }]);
    const { userHash } = sandbox.state.xbox.accountByXuid(xuid)!;
    const { token } = sandbox.state.xbox.issueXsts(xuid);
    const titlehub = () =>
      sandbox.app.inject({ method: 'GET', url: `/users/xuid(${xuid})/titles/titlehistory/decoration/achievement`, headers: { authorization: `XBL3.0 x=${userHash};${token}` } });
    sandbox.state.faults.add({ endpoint: 'xbox.titlehubHistory', kind: 'rate_limited' });
    expect((await titlehub()).statusCode).toBe(429);
    expect((await inject('GET', '/__sandbox/throttled')).json()).toEqual({ throttled: {} });
    expect((await titlehub()).statusCode).toBe(200);
    expect((await titlehub()).statusCode).toBe(429);
    expect((await inject('GET', '/__sandbox/throttled')).json()).toEqual({ throttled: { 'xbox.titlehubHistory': { total: 1, byParam: { [`xuid=${xuid}`]: 1 } } } });
    sandbox.state.reset();
    expect(sandbox.state.throttled.snapshot()).toEqual({});
  });

  it('percentages count under appid although Steam calls the parameter gameid', async () => {
    await inject('GET', '/ISteamUserStats/GetGlobalAchievementPercentagesForApp/v2/?gameid=30');
    expect(sandbox.state.calls.count('steam.GetGlobalAchievementPercentagesForApp', { appid: '30' })).toBe(1);
  });
});

describe('a held request does not hold up shutdown', () => {
  it('close() releases a timeout fault at once', async () => {
    const { startSandbox } = await import('@ach/platform-sandbox');
    const started = await startSandbox({ port: 0 });
    started.state.faults.add({ endpoint: 'steam.GetOwnedGames', kind: 'timeout', holdMs: 60_000 });
    const pending = fetch(`${started.url}/IPlayerService/GetOwnedGames/v1/?key=${KEY}&steamid=${DEMO}`).then(
      (r) => r.status,
      () => 'connection closed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = Date.now();
    await started.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect([504, 'connection closed']).toContain(await pending);
  });
});
