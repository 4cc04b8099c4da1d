import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { platformErrorOf } from '@ach/testing';
import {
  createPsnTrophyClient,
  parseRateLimitNextAvailable,
  PSN_TROPHY_TITLES_MAX_LIMIT,
  psnTitleTrophiesSchema,
  psnTitleTrophyGroupsSchema,
  psnTrophyTitlesPageSchema,
  psnUserTrophiesSchema,
  psnUserTrophyGroupsSchema,
  retryAfterFromHeaders,
  type PsnTrophyClient,
} from '../src/index.ts';
import { fixture, FIXTURES_DIR, json, startStubServer, type StubRequest, type StubResponse, type StubServer } from './psn-xbox-stub-server.ts';

interface IndexItem {
  file: string;
  platform: string;
  endpoint: string;
  params: Record<string, string>;
  request: { url: string };
  response: { status: number; contentType: string };
}
const index = JSON.parse(readFileSync(join(FIXTURES_DIR, 'psn-xbox-index.json'), 'utf8')) as { items: IndexItem[] };
const TROPHY_ENDPOINTS = ['psn.trophyTitles', 'psn.titleTrophies', 'psn.userTrophies', 'psn.titleTrophyGroups', 'psn.userTrophyGroups'];
const recorded = index.items.filter((i) => i.platform === 'psn' && TROPHY_ENDPOINTS.includes(i.endpoint));

const TOKEN = 'access-token-of-the-test';
const NOT_FOUND = '{"error":{"referenceId":"0f6ac3a0-0000-4000-a000-000000000000","code":2240525,"message":"Resource not found"}}';

/**
 * PSN as recorded: each recorded body at its recorded path. The `npServiceName` must be the recorded one
 * (PSN answers a PS4 set asked as `trophy2` with 404 2240525), and so must `offset` for the title pages.
 * `limit` is not compared: PSN answers the same items for any limit covering them.
 */
function recordedPsn(request: StubRequest): StubResponse {
  const url = new URL(request.url, 'http://x');
  if (request.headers.authorization !== `Bearer ${TOKEN}`) return json('{"error":{"code":2241025,"message":"Invalid token"}}', 401);
  const item = recorded.find((i) => {
    const rec = new URL(i.request.url);
    if (rec.pathname !== url.pathname) return false;
    if ((rec.searchParams.get('npServiceName') ?? 'trophy2') !== (url.searchParams.get('npServiceName') ?? 'trophy2')) return false;
    return i.endpoint !== 'psn.trophyTitles' || (rec.searchParams.get('offset') ?? '0') === (url.searchParams.get('offset') ?? '0');
  });
  if (!item) return json(NOT_FOUND, 404);
  return json(fixture(item.file), item.response.status, item.response.contentType);
}

let server: StubServer;
let handler: (request: StubRequest) => StubResponse;
let client: PsnTrophyClient;

beforeAll(async () => {
  server = await startStubServer((request) => handler(request));
  client = createPsnTrophyClient({ apiBaseUrl: `${server.baseUrl}/`, timeoutMs: 2_000, defaultRetryAfterMs: 7_000 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  handler = recordedPsn;
});

const parsed = (file: string, schema: { parse(value: unknown): unknown }) => schema.parse(JSON.parse(fixture(file)));
const requestedUrl = (n = 0) => new URL(server.requests[n]!.url, 'http://x');

describe('PSN trophy client against the recorded bodies, at the recorded paths', () => {
  it('has a recorded 200 body for each of the five trophy endpoints', () => {
    const ok = new Set(recorded.filter((i) => i.response.status === 200).map((i) => i.endpoint));
    expect([...ok].sort()).toEqual([...TROPHY_ENDPOINTS].sort());
  });

  it('trophyTitles: one page with the largest limit PSN accepts, parsed as recorded', async () => {
    const page = await client.getTrophyTitlesPage(TOKEN, '6515971742264256071');
    expect(page).toEqual(parsed('psn/trophy-titles-page1.json', psnTrophyTitlesPageSchema));
    expect(requestedUrl().pathname).toBe('/api/trophy/v1/users/6515971742264256071/trophyTitles');
    expect(Object.fromEntries(requestedUrl().searchParams)).toEqual({ limit: String(PSN_TROPHY_TITLES_MAX_LIMIT), offset: '0' });
    expect(PSN_TROPHY_TITLES_MAX_LIMIT).toBe(800);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('listTrophyTitles follows nextOffset and stops after the page where stopAfter matched', async () => {
    const page2First = (parsed('psn/trophy-titles-page2.json', psnTrophyTitlesPageSchema) as { trophyTitles: { npCommunicationId: string }[] }).trophyTitles[0]!;
    const list = await client.listTrophyTitles(TOKEN, '6515971742264256071', { stopAfter: (t) => t.npCommunicationId === page2First.npCommunicationId });
    expect(server.requests.map((r) => requestedUrl(server.requests.indexOf(r)).searchParams.get('offset'))).toEqual(['0', '50']);
    expect([list.titles.length, list.pages, list.complete, list.totalItemCount]).toEqual([100, 2, false, 18516]);
    const dates = list.titles.map((t) => t.lastUpdatedDateTime);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('an empty trophy list is one page, complete', async () => {
    const list = await client.listTrophyTitles(TOKEN, 'me');
    expect(list).toEqual({ titles: [], totalItemCount: 0, complete: true, pages: 1 });
  });

  it('title and user trophies of a PS4 set are asked with npServiceName=trophy (and no limit: the whole set)', async () => {
    const ref = { npCommunicationId: 'NPWR08964_00', npServiceName: 'trophy' as const };
    const defs = await client.getTitleTrophies(TOKEN, ref, 'default');
    const mine = await client.getUserTrophies(TOKEN, '6515971742264256071', ref, 'default');
    expect(defs).toEqual({ ...(parsed('psn/title-trophies-NPWR08964.json', psnTitleTrophiesSchema) as object), nextOffset: undefined, previousOffset: undefined });
    expect(mine).toEqual({ ...(parsed('psn/user-trophies-NPWR08964.json', psnUserTrophiesSchema) as object), nextOffset: undefined, previousOffset: undefined });
    expect(defs.trophies).toHaveLength(33);
    expect(mine.trophies[0]!.trophyEarnedRate).toBe('1.6');
    expect(Object.fromEntries(requestedUrl(0).searchParams)).toEqual({ npServiceName: 'trophy' });
    expect(requestedUrl(1).pathname).toBe('/api/trophy/v1/users/6515971742264256071/npCommunicationIds/NPWR08964_00/trophyGroups/default/trophies');
  });

  it('the same PS4 set asked as trophy2 is PSN\'s 404 → not_found', async () => {
    const error = await platformErrorOf(client.getTitleTrophies(TOKEN, { npCommunicationId: 'NPWR08964_00', npServiceName: 'trophy2' }, 'default'));
    expect([error.kind, error.status, error.endpoint]).toEqual(['not_found', 404, 'psn.titleTrophies']);
    expect(error.message).toContain('2240525');
  });

  it('a PS5 set: trophyGroupId=all, npServiceName=trophy2, every group in one answer', async () => {
    const all = await client.getTitleTrophies(TOKEN, { npCommunicationId: 'NPWR21647_00', npServiceName: 'trophy2' });
    expect(all.trophies).toHaveLength(78);
    expect(new Set(all.trophies.map((t) => t.trophyGroupId))).toEqual(new Set(['default', '001', '002', '003']));
    expect(requestedUrl().pathname).toBe('/api/trophy/v1/npCommunicationIds/NPWR21647_00/trophyGroups/all/trophies');
    expect(requestedUrl().searchParams.get('npServiceName')).toBe('trophy2');
  });

  it('trophy groups, title-level and per user', async () => {
    const ref = { npCommunicationId: 'NPWR15509_00', npServiceName: 'trophy' as const };
    expect(await client.getTitleTrophyGroups(TOKEN, ref)).toEqual(parsed('psn/title-trophy-groups-NPWR15509.json', psnTitleTrophyGroupsSchema));
    expect(await client.getUserTrophyGroups(TOKEN, '1802043923080044300', ref)).toEqual(parsed('psn/user-trophy-groups-NPWR15509.json', psnUserTrophyGroupsSchema));
    expect(server.requests.map((r) => r.url)).toEqual([
      '/api/trophy/v1/npCommunicationIds/NPWR15509_00/trophyGroups?npServiceName=trophy',
      '/api/trophy/v1/users/1802043923080044300/npCommunicationIds/NPWR15509_00/trophyGroups?npServiceName=trophy',
    ]);
  });
});

describe('PSN trophy client errors', () => {
  it('recorded 403 2240526 (private trophy list) → private / profile_private, on the title list and on a title', async () => {
    const list = await platformErrorOf(client.getTrophyTitlesPage(TOKEN, '5007681186655854753'));
    expect([list.kind, list.code, list.status, list.endpoint]).toEqual(['private', 'profile_private', 403, 'psn.trophyTitles']);
    const title = await platformErrorOf(client.getUserTrophies(TOKEN, '5007681186655854753', { npCommunicationId: 'NPWR15509_00', npServiceName: 'trophy' }, 'default'));
    expect([title.kind, title.code]).toEqual(['private', 'profile_private']);
    expect(title.message).toContain('2240526');
  });

  it('recorded 404 2240525 for a title the user never synced → not_found on psn.userTrophies (the caller skips that title)', async () => {
    const error = await platformErrorOf(client.getUserTrophies(TOKEN, 'me', { npCommunicationId: 'NPWR15179_00', npServiceName: 'trophy' }, 'default'));
    expect([error.kind, error.status, error.endpoint]).toEqual(['not_found', 404, 'psn.userTrophies']);
  });

  it('401 (expired token, 2241025) → auth / invalid_credentials, for the caller to refresh once', async () => {
    handler = () => json('{"error":{"referenceId":"e435efb4-70fd-11ed-99c3-01c61dc733aa","code":2241025,"message":"Invalid token"}}', 401);
    const error = await platformErrorOf(client.getTrophyTitlesPage(TOKEN, 'me'));
    expect([error.kind, error.code, error.status]).toEqual(['auth', 'invalid_credentials', 401]);
    expect(error.message).toContain('2241025');
    expect(error.message).not.toContain(TOKEN);
  });

  it('429 waits until X-RateLimit-Next-Available (unix seconds); Retry-After alone is honoured; both: the later; neither: the default', async () => {
    const body = '{"error":{"code":2138635,"message":"Rate limit exceeded"}}';
    const limited = (headers: Record<string, string>) => () => ({ status: 429, headers: { 'content-type': 'application/json', ...headers }, body });

    handler = limited({ 'x-ratelimit-next-available': String(Math.floor(Date.now() / 1000) + 600) });
    const next = await platformErrorOf(client.getTrophyTitlesPage(TOKEN, 'me'));
    expect([next.kind, next.code, next.status]).toEqual(['rate_limited', 'rate_limited', 429]);
    expect(next.retryAfterMs).toBeGreaterThan(590_000);
    expect(next.retryAfterMs).toBeLessThanOrEqual(600_000);

    handler = limited({ 'retry-after': '30' });
    expect((await platformErrorOf(client.getTrophyTitlesPage(TOKEN, 'me'))).retryAfterMs).toBe(30_000);

    handler = limited({ 'retry-after': '30', 'x-ratelimit-next-available': String(Math.floor(Date.now() / 1000) + 300) });
    expect((await platformErrorOf(client.getTrophyTitlesPage(TOKEN, 'me'))).retryAfterMs).toBeGreaterThan(290_000);

    handler = limited({});
    expect((await platformErrorOf(client.getTrophyTitlesPage(TOKEN, 'me'))).retryAfterMs).toBe(7_000);
  });

  it('5xx → transient; a body that is not the schema → malformed', async () => {
    handler = () => json('{"error":{"code":2240512,"message":"Internal Server Error"}}', 500);
    expect((await platformErrorOf(client.getTitleTrophyGroups(TOKEN, { npCommunicationId: 'NPWR15509_00', npServiceName: 'trophy' }))).kind).toBe('transient');
    handler = () => json('{"trophyTitles":[{"npCommunicationId":"NPWR1"}],"totalItemCount":1}');
    expect((await platformErrorOf(client.getTrophyTitlesPage(TOKEN, 'me'))).kind).toBe('malformed');
  });

  it('ids that are not PSN\'s shape are refused before any request (config), so nothing odd reaches a URL', async () => {
    const ref = { npCommunicationId: '../../users/me', npServiceName: 'trophy' as const };
    expect((await platformErrorOf(client.getTitleTrophies(TOKEN, ref))).kind).toBe('config');
    expect((await platformErrorOf(client.getTrophyTitlesPage(TOKEN, '12.5'))).kind).toBe('config');
    expect((await platformErrorOf(client.getUserTrophies(TOKEN, 'me', { npCommunicationId: 'NPWR15509_00', npServiceName: 'trophy' }, 'dlc'))).kind).toBe('config');
    expect(server.requests).toHaveLength(0);
  });
});

describe('PSN trophy lists that page', () => {
  const trophy = (trophyId: number) => ({ trophyId, trophyHidden: false, trophyType: 'bronze', trophyName: `T${trophyId}`, trophyDetail: 'd', trophyIconUrl: 'i', trophyGroupId: 'default' });

  it('follows nextOffset (offset only past the first page) and joins the pages into one answer', async () => {
    handler = (request) => {
      const offset = Number(new URL(request.url, 'http://x').searchParams.get('offset') ?? '0');
      const items = [0, 1, 2, 3, 4].slice(offset, offset + 2).map(trophy);
      const more = offset + 2 < 5 ? { nextOffset: offset + 2 } : {};
      return json(JSON.stringify({ trophySetVersion: '01.00', hasTrophyGroups: false, trophies: items, ...more, ...(offset > 0 ? { previousOffset: offset - 1 } : {}), totalItemCount: 5 }));
    };
    const all = await client.getTitleTrophies(TOKEN, { npCommunicationId: 'NPWR00001_00', npServiceName: 'trophy2' });
    expect(all.trophies.map((t) => t.trophyId)).toEqual([0, 1, 2, 3, 4]);
    expect([all.totalItemCount, all.nextOffset]).toEqual([5, undefined]);
    expect(server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('offset'))).toEqual([null, '2', '4']);
  });

  it('a nextOffset that does not move forward is malformed, not an endless loop', async () => {
    handler = () => json(JSON.stringify({ trophySetVersion: '01.00', hasTrophyGroups: false, trophies: [trophy(0)], nextOffset: 0, totalItemCount: 5 }));
    const error = await platformErrorOf(client.getTitleTrophies(TOKEN, { npCommunicationId: 'NPWR00001_00', npServiceName: 'trophy2' }));
    expect(error.kind).toBe('malformed');
    expect(server.requests).toHaveLength(1);
  });
});

describe('rate-limit headers', () => {
  const NOW = Date.parse('2026-03-01T12:00:00Z');
  it('X-RateLimit-Next-Available is unix seconds (milliseconds tolerated); garbage is ignored', () => {
    expect(parseRateLimitNextAvailable(String(NOW / 1000 + 90), NOW)).toBe(90_000);
    expect(parseRateLimitNextAvailable(String(NOW + 5_000), NOW)).toBe(5_000);
    expect(parseRateLimitNextAvailable(String(NOW / 1000 - 10), NOW)).toBe(0);
    expect(parseRateLimitNextAvailable('soon', NOW)).toBeUndefined();
    expect(parseRateLimitNextAvailable(undefined, NOW)).toBeUndefined();
  });

  it('retryAfterFromHeaders takes the later of Retry-After and X-RateLimit-Next-Available', () => {
    const headers = (h: Record<string, string>) => new Headers(h);
    expect(retryAfterFromHeaders(headers({ 'x-ratelimit-next-available': String(NOW / 1000 + 60) }), 1, NOW)).toBe(60_000);
    expect(retryAfterFromHeaders(headers({ 'retry-after': '120', 'x-ratelimit-next-available': String(NOW / 1000 + 60) }), 1, NOW)).toBe(120_000);
    expect(retryAfterFromHeaders(headers({ 'retry-after': 'nonsense' }), 1_234, NOW)).toBe(1_234);
  });
});
