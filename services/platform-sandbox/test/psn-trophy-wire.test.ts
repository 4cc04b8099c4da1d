import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPsnAuthClient,
  psnApiErrorSchema,
  psnTitleTrophiesSchema,
  psnTitleTrophyGroupsSchema,
  psnTrophyTitlesPageSchema,
  psnUserTrophiesSchema,
  psnUserTrophyGroupsSchema,
} from '@ach/platform-clients';
import { startSandbox, type StartedSandbox } from '../src/index.ts';
import { npCommunicationIdFor } from '../src/psn/psn-trophy-catalogue.ts';

/**
 * The sandbox's trophy endpoints answer in PSN's recorded format: every body parses with the client's
 * schema, and its key sets — recursively, array elements merged — are exactly those of the recorded body
 * of the same endpoint and case (no extra key, none missing, same JSON types).
 */

const RECORDED = join(import.meta.dirname, '../../../packages/platform-clients/test/fixtures/psn');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw wire bodies
const recorded = (file: string): any => JSON.parse(readFileSync(join(RECORDED, file), 'utf8'));

const IKEMENZI = '6515971742264256071';
const PRIVATE = '5007681186655854753';

type Shape = string | { [key: string]: Shape };

/** Key sets and JSON types; an array's elements are merged into one shape under `[]`. */
function shape(value: unknown): Shape {
  if (Array.isArray(value)) return { '[]': value.map(shape).reduce(merge, '(empty)') };
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  return value === null ? 'null' : typeof value;
}
function merge(a: Shape, b: Shape): Shape {
  if (a === '(empty)') return b;
  if (b === '(empty)') return a;
  if (typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return Object.fromEntries(keys.map((k) => [k, a[k] === undefined ? b[k]! : b[k] === undefined ? a[k]! : merge(a[k]!, b[k]!)]));
  }
  return a === b ? a : [a, b].map(String).sort().join('|');
}

let sandbox: StartedSandbox;
let token: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw wire bodies
const get = async (path: string): Promise<{ status: number; contentType: string | null; body: any }> => {
  const response = await fetch(`${sandbox.url}/api/trophy/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(await response.text()) };
};

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const auth = createPsnAuthClient({ authBaseUrl: sandbox.url, apiBaseUrl: sandbox.url });
  token = (await auth.exchangeNpsso('sandbox-npsso-ikemenzi')).accessToken;
});
afterAll(() => sandbox.close());

const library = () => sandbox.state.psn.trophies.library(IKEMENZI)!.sorted();
/** First catalogue title matching `test` (title endpoints answer for any catalogue title). */
const catalogueTitle = (test: (d: NonNullable<ReturnType<typeof sandbox.state.psn.trophies.catalogue.title>>) => boolean) => {
  for (let i = 1; i < 5_000; i++) {
    const definition = sandbox.state.psn.trophies.catalogue.title(npCommunicationIdFor(i))!;
    if (test(definition)) return definition;
  }
  throw new Error('no such catalogue title');
};

describe('PSN sandbox bodies have the recorded shapes', () => {
  it('trophyTitles, first page of several: same keys as the recorded page 1, per generation too', async () => {
    const { status, contentType, body } = await get(`/users/${IKEMENZI}/trophyTitles?limit=50&offset=0`);
    expect([status, contentType]).toEqual([200, 'application/json']);
    psnTrophyTitlesPageSchema.parse(body);
    const rec = recorded('trophy-titles-page1.json');
    expect(shape(body)).toEqual(shape(rec));
    expect(Object.keys(body)).toEqual(Object.keys(rec));
    for (const generation of ['trophy', 'trophy2']) {
      const keysOf = (titles: { npServiceName: string }[]) => new Set(titles.filter((t) => t.npServiceName === generation).map((t) => Object.keys(t).join(',')));
      expect(keysOf(body.trophyTitles), generation).toEqual(keysOf(rec.trophyTitles));
    }
  });

  it('trophyTitles, a middle page: nextOffset and previousOffset (= offset − 1) like the recorded page 2', async () => {
    const { body } = await get(`/users/${IKEMENZI}/trophyTitles?limit=30&offset=30`);
    psnTrophyTitlesPageSchema.parse(body);
    expect(shape(body)).toEqual(shape(recorded('trophy-titles-page2.json')));
    expect([body.nextOffset, body.previousOffset, body.totalItemCount]).toEqual([60, 29, 100]);
  });

  it('trophyTitles of an empty list: {"trophyTitles":[],"totalItemCount":0}, compact as on the wire', async () => {
    const auth = createPsnAuthClient({ authBaseUrl: sandbox.url, apiBaseUrl: sandbox.url });
    const emptyToken = (await auth.exchangeNpsso('sandbox-npsso-vaulttec-co')).accessToken;
    const response = await fetch(`${sandbox.url}/api/trophy/v1/users/me/trophyTitles?limit=50&offset=0`, { headers: { authorization: `Bearer ${emptyToken}` } });
    expect(await response.text()).toBe(JSON.stringify(recorded('trophy-titles-empty.json')));
  });

  it('title trophies of a PS4 set (default group) like NPWR08964', async () => {
    const ps4 = library().find((s) => s.definition.npServiceName === 'trophy')!.definition;
    const { body } = await get(`/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups/default/trophies?limit=200&npServiceName=trophy&offset=0`);
    psnTitleTrophiesSchema.parse(body);
    expect(shape(body)).toEqual(shape(recorded('title-trophies-NPWR08964.json')));
  });

  it('title trophies of a PS5 set with DLC groups, trophyGroupId=all, like NPWR21647', async () => {
    const ps5 = catalogueTitle((d) => d.npServiceName === 'trophy2' && d.groups.length > 1 && d.trophies.every((t) => t.progressTarget === undefined && !t.hasReward));
    const { body } = await get(`/npCommunicationIds/${ps5.npCommunicationId}/trophyGroups/all/trophies?limit=200&npServiceName=trophy2&offset=0`);
    psnTitleTrophiesSchema.parse(body);
    expect(shape(body)).toEqual(shape(recorded('title-trophies-NPWR21647-all.json')));
    expect(new Set(body.trophies.map((t: { trophyGroupId: string }) => t.trophyGroupId)).size).toBeGreaterThan(1);
  });

  it('user trophies of a PS4 set like NPWR08964: earned state, rate as a string, rarestTrophies', async () => {
    const ps4 = library().find((s) => s.definition.npServiceName === 'trophy' && s.earned.bronze + s.earned.silver + s.earned.gold > 0)!.definition;
    const { body } = await get(`/users/${IKEMENZI}/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups/default/trophies?limit=200&npServiceName=trophy&offset=0`);
    psnUserTrophiesSchema.parse(body);
    expect(shape(body)).toEqual(shape(recorded('user-trophies-NPWR08964.json')));
  });

  it('trophy groups of a PS4 set with DLC, title-level and per user, like NPWR15509', async () => {
    const ps4 = library().find((s) => s.definition.npServiceName === 'trophy' && s.definition.groups.length > 1 && s.earned.bronze > 0)!.definition;
    const title = await get(`/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups?npServiceName=trophy`);
    psnTitleTrophyGroupsSchema.parse(title.body);
    expect(shape(title.body)).toEqual(shape(recorded('title-trophy-groups-NPWR15509.json')));
    const user = await get(`/users/${IKEMENZI}/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups?npServiceName=trophy`);
    psnUserTrophyGroupsSchema.parse(user.body);
    expect(shape(user.body)).toEqual(shape(recorded('user-trophy-groups-NPWR15509.json')));
  });

  it('the error bodies: 403 2240526 for a private list, 404 2240525 for a title the user never synced', async () => {
    const forbidden = await get(`/users/${PRIVATE}/trophyTitles?limit=50&offset=0`);
    const rec403 = recorded('trophy-titles-private-403.json');
    expect([forbidden.status, forbidden.body.error.code, forbidden.body.error.message]).toEqual([403, rec403.error.code, rec403.error.message]);
    expect(shape(forbidden.body)).toEqual(shape(rec403));

    const notOwned = catalogueTitle((d) => d.npServiceName === 'trophy' && !sandbox.state.psn.trophies.library(IKEMENZI)!.owns(d.npCommunicationId));
    const notFound = await get(`/users/me/npCommunicationIds/${notOwned.npCommunicationId}/trophyGroups/default/trophies?limit=200&npServiceName=trophy&offset=0`);
    const rec404 = recorded('user-trophies-not-found-404.json');
    expect([notFound.status, notFound.body.error.code, notFound.body.error.message]).toEqual([404, rec404.error.code, rec404.error.message]);
    expect(shape(notFound.body)).toEqual(shape(rec404));
    psnApiErrorSchema.parse(notFound.body);
  });
});
