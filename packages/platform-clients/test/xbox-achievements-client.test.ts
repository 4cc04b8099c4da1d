import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { platformErrorOf } from '@ach/testing';
import { createXboxAchievementsClient, isXboxLockedTime, type XboxAchievementsClient } from '../src/index.ts';
import { fixture, json, startStubServer, type StubRequest, type StubResponse, type StubServer } from './psn-xbox-stub-server.ts';

const XUID = '2669321029139235';
const AUTH = { xuid: XUID, userHash: '3218841136841218711', xstsToken: 'xsts-token-value' };
const HALO = '219630713';
const HEXIC = '1297290392';
const XBOX_JSON = 'application/json; charset=utf-8';

let server: StubServer;
let handler: (request: StubRequest) => StubResponse;
let client: XboxAchievementsClient;
const userCalls: { xuid: string; endpoint: string }[] = [];

const url = (request: StubRequest) => new URL(request.url, 'http://x');
const recorded = (file: string) => json(fixture(file), 200, XBOX_JSON);
const empty = (status: number, headers: Record<string, string> = {}): StubResponse => ({ status, headers: { 'content-type': 'text/plain', ...headers }, body: '' });

/**
 * Xbox Live answering with the recorded bodies: titlehub, /history/titles (page 1 recorded, then an empty
 * last page), Halo 5 achievements (recorded page 1, then the recorded detail body as the last page) and
 * Hexic's 360 lists. The contract version picks the shape, as on Xbox Live.
 */
const xboxLive = (request: StubRequest): StubResponse => {
  const u = url(request);
  const path = decodeURIComponent(u.pathname);
  const contract = request.headers['x-xbl-contract-version'];
  const token = u.searchParams.get('continuationToken');
  if (path === `/users/xuid(${XUID})/titles/titlehistory/decoration/achievement,image,scid`) return recorded('xbox/titlehub-titlehistory.json');
  if (path === `/users/xuid(${XUID})/history/titles` && contract === '2') {
    return token === null ? recorded('xbox/history-titles-v2.json') : json(JSON.stringify({ titles: [], pagingInfo: { continuationToken: null, totalRecords: 125 } }), 200, XBOX_JSON);
  }
  if (path === `/users/xuid(${XUID})/achievements` && u.searchParams.get('titleId') === HALO && contract === '2') {
    return token === null ? recorded('xbox/achievements-v2-page1.json') : recorded('xbox/achievement-detail-v2.json');
  }
  if (path === `/users/xuid(${XUID})/titleachievements` && u.searchParams.get('titleId') === HEXIC && contract === '1') return recorded('xbox/title-achievements-v1-x360-all.json');
  if (path === `/users/xuid(${XUID})/achievements` && u.searchParams.get('titleId') === HEXIC && contract === '1') return recorded('xbox/achievements-v1-x360-earned.json');
  return empty(404);
};

beforeAll(async () => {
  server = await startStubServer((request) => handler(request));
  client = createXboxAchievementsClient({
    achievementsBaseUrl: server.baseUrl,
    titlehubBaseUrl: `${server.baseUrl}/`,
    timeoutMs: 2_000,
    beforeUserCall: async (call) => {
      userCalls.push(call);
    },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  userCalls.length = 0;
  handler = xboxLive;
});

describe('Xbox achievements client against the recorded bodies', () => {
  it('title history: titlehub with the achievement,image,scid decorations, XBL3.0 header, contract 2, one call', async () => {
    const titles = await client.getTitleHistory(AUTH);
    expect(titles.map((t) => t.titleId)).toEqual(['1560034050', '12206284', '1787008472', '1828326430', '33936946']);
    expect(titles[0]!.achievement).toMatchObject({ currentAchievements: 22, currentGamerscore: 465, totalGamerscore: 1300, progressPercentage: 36 });
    expect(titles[0]!.titleHistory?.lastTimePlayed).toBe('2020-10-08T01:55:12.4411936Z');
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(url(request).searchParams.get('maxItems')).toBe('10000');
    expect(request.headers.authorization).toBe(`XBL3.0 x=${AUTH.userHash};${AUTH.xstsToken}`);
    expect([request.headers['x-xbl-contract-version'], request.headers['accept-language']]).toEqual(['2', 'en-US']);
    expect(userCalls).toEqual([{ xuid: XUID, endpoint: 'xbox.titlehubHistory' }]);
  });

  it('modern achievements: contract 2, every page by continuationToken (sent back as given), maxItems on each', async () => {
    const result = await client.getAchievements(AUTH, HALO);
    if (!result.found) throw new Error('expected achievements');
    expect(result.contract).toBe(2);
    expect(result.achievements).toHaveLength(33);
    expect(result.achievements.filter((a) => a.progressState === 'Achieved')).toHaveLength(14);
    expect(result.achievements.filter((a) => a.progressState !== 'Achieved').every((a) => isXboxLockedTime(a.progression.timeUnlocked))).toBe(true);
    const [first, second] = server.requests.map(url);
    expect([first!.searchParams.get('titleId'), first!.searchParams.get('maxItems'), first!.searchParams.get('continuationToken')]).toEqual([HALO, '1000', null]);
    expect([second!.searchParams.get('titleId'), second!.searchParams.get('maxItems'), second!.searchParams.get('continuationToken')]).toEqual([HALO, '1000', '32']);
    expect(userCalls.map((c) => c.endpoint)).toEqual(['xbox.achievements', 'xbox.achievements']);
  });

  it('Xbox 360 achievements: contract 1 on /titleachievements (all) and /achievements (earned)', async () => {
    const result = await client.getXbox360Achievements(AUTH, HEXIC);
    if (!result.found) throw new Error('expected achievements');
    expect([result.contract, result.definitions.length, result.earned.map((a) => a.id)]).toEqual([1, 15, [6]]);
    expect(result.definitions.every((a) => !a.unlocked)).toBe(true);
    expect(server.requests.map((r) => [url(r).pathname.split('/').pop(), r.headers['x-xbl-contract-version']])).toEqual([
      ['titleachievements', '1'],
      ['achievements', '1'],
    ]);
  });

  it('Xbox 360 with legacyContractVersion 3 (rarity): the same two lists, one at a time, asked with contract 3', async () => {
    // Xbox Live's contract 3 is contract 1's shape plus `rarity`: the recorded bodies with a rarity added.
    const withRarity = (file: string) => {
      const body = JSON.parse(fixture(file)) as { achievements: Record<string, unknown>[] };
      for (const a of body.achievements) a.rarity = { currentCategory: 'Rare', currentPercentage: 7.5 };
      return json(JSON.stringify(body), 200, XBOX_JSON);
    };
    handler = (request) => {
      if (request.headers['x-xbl-contract-version'] !== '3') return empty(400);
      return url(request).pathname.endsWith('/titleachievements') ? withRarity('xbox/title-achievements-v1-x360-all.json') : withRarity('xbox/achievements-v1-x360-earned.json');
    };
    const v3 = createXboxAchievementsClient({ achievementsBaseUrl: server.baseUrl, titlehubBaseUrl: server.baseUrl, legacyContractVersion: 3, timeoutMs: 2_000 });
    const definitions = await v3.getXbox360Definitions(AUTH, HEXIC);
    const earned = await v3.getXbox360Earned(AUTH, HEXIC);
    if (!definitions.found || !earned.found) throw new Error('expected both lists');
    expect([definitions.contract, definitions.achievements.length, earned.achievements.map((a) => a.id)]).toEqual([3, 15, [6]]);
    expect(definitions.achievements.every((a) => a.rarity?.currentPercentage === 7.5)).toBe(true);
    expect(server.requests.map((r) => url(r).pathname.split('/').pop())).toEqual(['titleachievements', 'achievements']);
    handler = () => empty(404);
    expect([await v3.getXbox360Definitions(AUTH, HEXIC), await v3.getXbox360Earned(AUTH, HEXIC)]).toEqual([{ found: false }, { found: false }]);
  });

  it('history titles: contract 2, titleId a number, lastUnlock kept, all pages', async () => {
    const titles = await client.getHistoryTitles(AUTH);
    expect(titles).toHaveLength(32);
    expect(titles.find((t) => t.titleId === 219630713)?.lastUnlock).toBe('2015-11-11T06:22:21.9376390Z');
    expect(server.requests.map((r) => url(r).searchParams.get('continuationToken'))).toEqual([null, '32']);
  });

  it('an opaque composite continuation token goes back byte for byte', async () => {
    const composite = '32,2018-03-28T01:28:51.8070000Z';
    handler = (request) => {
      const token = url(request).searchParams.get('continuationToken');
      const body = JSON.parse(fixture('xbox/achievements-v1-x360-earned.json')) as { pagingInfo: { continuationToken: string | null } };
      body.pagingInfo.continuationToken = token === null ? composite : null;
      return url(request).pathname.endsWith('/titleachievements') ? recorded('xbox/title-achievements-v1-x360-all.json') : json(JSON.stringify(body), 200, XBOX_JSON);
    };
    const result = await client.getXbox360Achievements(AUTH, HEXIC);
    expect(result.found && result.earned.length).toBe(2);
    expect(url(server.requests[2]!).searchParams.get('continuationToken')).toBe(composite);
  });
});

describe('Xbox achievements client errors', () => {
  it('404 for a title → { found: false } (the title is skipped), for both contracts', async () => {
    expect(await client.getAchievements(AUTH, '12345')).toEqual({ found: false });
    expect(await client.getXbox360Achievements(AUTH, '12345')).toEqual({ found: false });
  });

  it('401 (expired XSTS) → auth / invalid_credentials; 403 → private / profile_private; 404 on titlehub → not_found', async () => {
    handler = () => empty(401, { 'www-authenticate': 'XBL3.0 realm="http://xboxlive.com"' });
    let error = await platformErrorOf(client.getTitleHistory(AUTH));
    expect([error.kind, error.code, error.status, error.endpoint]).toEqual(['auth', 'invalid_credentials', 401, 'xbox.titlehubHistory']);
    handler = () => empty(403);
    error = await platformErrorOf(client.getAchievements(AUTH, HALO));
    expect([error.kind, error.code, error.status]).toEqual(['private', 'profile_private', 403]);
    handler = () => empty(404);
    error = await platformErrorOf(client.getTitleHistory(AUTH));
    expect([error.kind, error.code]).toEqual(['not_found', 'account_not_found']);
  });

  it('429: Retry-After wins; else the body periodInSeconds; else the fallback', async () => {
    const throttle = JSON.stringify({ version: 1, currentRequests: 101, maxRequests: 100, periodInSeconds: 15, limitType: 'Rate' });
    handler = () => ({ status: 429, headers: { 'content-type': XBOX_JSON, 'retry-after': '7' }, body: throttle });
    let error = await platformErrorOf(client.getAchievements(AUTH, HALO));
    expect([error.kind, error.code, error.retryAfterMs]).toEqual(['rate_limited', 'rate_limited', 7_000]);
    expect(error.message).toContain('101 of 100 calls per 15 s');
    handler = () => json(JSON.stringify({ version: 1, currentRequests: 301, maxRequests: 300, periodInSeconds: 300, limitType: 'Rate' }), 429, XBOX_JSON);
    error = await platformErrorOf(client.getTitleHistory(AUTH));
    expect([error.kind, error.retryAfterMs]).toEqual(['rate_limited', 300_000]);
    handler = () => empty(429);
    error = await platformErrorOf(client.getHistoryTitles(AUTH));
    expect([error.kind, error.retryAfterMs]).toEqual(['rate_limited', 15_000]);
  });

  it('a shape the schema rejects → malformed; a repeating continuation token → malformed, not a loop', async () => {
    handler = () => json(JSON.stringify({ achievements: [{ id: 5 }], pagingInfo: { continuationToken: null, totalRecords: 1 } }), 200, XBOX_JSON);
    let error = await platformErrorOf(client.getAchievements(AUTH, HALO));
    expect([error.kind, error.endpoint]).toEqual(['malformed', 'xbox.achievements']);
    handler = () => recorded('xbox/achievements-v2-page1.json');
    error = await platformErrorOf(client.getAchievements(AUTH, HALO));
    expect(error.kind).toBe('malformed');
    expect(server.requests.length).toBeLessThan(5);
  });

  it('refuses to build a URL from a non-decimal title id', async () => {
    await expect(client.getAchievements(AUTH, '1/../2')).rejects.toThrow(RangeError);
    expect(server.requests).toHaveLength(0);
  });
});
