import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSteamClient, resolveSteamAccount, type SteamClient } from '@ach/platform-clients';
import { startFixtureServer } from './steam-fixture-server.ts';
import { platformErrorOf } from '@ach/testing';

const PUBLIC_ID = '76561198046174695';
const PRIVATE_ID = '76561198000000003';

const player = (steamid: string, visibility: number) => ({
  steamid,
  communityvisibilitystate: visibility,
  profilestate: 1,
  personaname: steamid === PUBLIC_ID ? 'gravin79' : 'hidden',
  profileurl: `https://steamcommunity.com/profiles/${steamid}/`,
  avatar: 'https://avatars.steamstatic.com/abc.jpg',
  avatarmedium: 'https://avatars.steamstatic.com/abc_medium.jpg',
  avatarfull: 'https://avatars.steamstatic.com/abc_full.jpg',
});

let server: Awaited<ReturnType<typeof startFixtureServer>>;
let steam: SteamClient;

beforeAll(async () => {
  server = await startFixtureServer((_req, url) => {
    const ok = (value: unknown) => ({ status: 200, contentType: 'application/json; charset=UTF-8', body: JSON.stringify(value) });
    if (url.pathname === '/ISteamUser/ResolveVanityURL/v1/') {
      const vanity = url.searchParams.get('vanityurl');
      if (vanity === 'gravin79') return ok({ response: { steamid: PUBLIC_ID, success: 1 } });
      if (vanity === 'broken') return ok({ response: { steamid: '123456789', success: 1 } });
      return ok({ response: { success: 42, message: 'No match' } });
    }
    if (url.pathname === '/ISteamUser/GetPlayerSummaries/v2/') {
      const ids = url.searchParams.get('steamids')!.split(',');
      const players = ids.flatMap((id) => (id === PUBLIC_ID ? [player(id, 3)] : id === PRIVATE_ID ? [player(id, 1)] : []));
      return ok({ response: { players } });
    }
    return { status: 404, contentType: 'text/html', body: '<html><body>Not Found</body></html>' };
  });
  steam = createSteamClient({ baseUrl: server.url, apiKey: 'k' });
});
afterAll(() => server.close());


describe('resolveSteamAccount', () => {
  const expected = { externalAccountId: PUBLIC_ID, displayName: 'gravin79', avatarUrl: 'https://avatars.steamstatic.com/abc_full.jpg' };

  it('accepts a public SteamID64', async () => {
    expect(await resolveSteamAccount({ steamId: PUBLIC_ID }, { steam })).toEqual(expected);
  });

  it('resolves a vanity name, and a pasted profile URL of either kind', async () => {
    expect(await resolveSteamAccount({ vanity: 'gravin79' }, { steam })).toEqual(expected);
    expect(await resolveSteamAccount({ vanity: 'https://steamcommunity.com/id/gravin79/' }, { steam })).toEqual(expected);
    expect(await resolveSteamAccount({ steamId: `https://steamcommunity.com/profiles/${PUBLIC_ID}` }, { steam })).toEqual(expected);
  });

  it('rejects malformed ids without calling Steam', async () => {
    const before = server.requests.length;
    for (const steamId of ['123', '76561198046174695x', '86561198046174695', '76561197960265728', ' ']) {
      expect(await platformErrorOf(resolveSteamAccount({ steamId }, { steam }))).toMatchObject({ kind: 'not_found', code: 'invalid_steam_id' });
    }
    expect(await platformErrorOf(resolveSteamAccount({ vanity: 'has spaces!' }, { steam }))).toMatchObject({ code: 'invalid_steam_id' });
    expect(server.requests.length).toBe(before);
  });

  it('an unknown vanity name or profile is not_found', async () => {
    expect(await platformErrorOf(resolveSteamAccount({ vanity: 'nobody-here' }, { steam }))).toMatchObject({ kind: 'not_found', code: 'account_not_found' });
    expect(await platformErrorOf(resolveSteamAccount({ steamId: '76561198999999999' }, { steam }))).toMatchObject({ kind: 'not_found', code: 'account_not_found' });
  });

  it('a private profile is kind private, code profile_private', async () => {
    expect(await platformErrorOf(resolveSteamAccount({ steamId: PRIVATE_ID }, { steam }))).toMatchObject({ kind: 'private', code: 'profile_private' });
  });

  it('a vanity answer that is not a SteamID64 is malformed', async () => {
    expect(await platformErrorOf(resolveSteamAccount({ vanity: 'broken' }, { steam }))).toMatchObject({ kind: 'malformed' });
  });

  it('a rejected key surfaces as config', async () => {
    const badKey = await startFixtureServer(() => ({
      status: 403,
      contentType: 'text/html; charset=UTF-8',
      body: '<html><head><title>Forbidden</title></head><body><h1>Forbidden</h1>Access is denied. Retrying will not help. Please verify your <pre>key=</pre> parameter.</body></html>',
    }));
    try {
      const client = createSteamClient({ baseUrl: badKey.url, apiKey: 'wrong' });
      expect(await platformErrorOf(resolveSteamAccount({ steamId: PUBLIC_ID }, { steam: client }))).toMatchObject({ kind: 'config' });
    } finally {
      await badKey.close();
    }
  });
});
