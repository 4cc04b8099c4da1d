import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPlatformHttp,
  isPlatformError,
  isXboxLockedTime,
  msaTokenResponseSchema,
  psnApiErrorSchema,
  psnGameListPageSchema,
  psnLegacyProfileSchema,
  psnProfileSchema,
  psnTitlesTrophyTitlesSchema,
  psnTitleTrophiesSchema,
  psnTitleTrophyGroupsSchema,
  psnTokenResponseSchema,
  psnTrophySummarySchema,
  psnTrophyTitlesPageSchema,
  psnUserTrophiesSchema,
  psnUserTrophyGroupsSchema,
  xboxAchievementGamerscore,
  xboxAchievementsV1PageSchema,
  xboxAchievementsV2PageSchema,
  xboxHistoryTitlesV1Schema,
  xboxHistoryTitlesV2Schema,
  xboxProfileSettingsSchema,
  xboxTitlehubTitlesSchema,
  xboxUserTokenSchema,
  xstsTokenSchema,
  type PlatformErrorKind,
} from '../src/index.ts';
import { fixture, FIXTURES_DIR, startStubServer, type StubServer } from './psn-xbox-stub-server.ts';

interface IndexItem {
  file: string;
  platform: 'psn' | 'xbox';
  endpoint: string;
  params: Record<string, string>;
  response: { status: number; contentType: string };
  sha256: string;
}
const index = JSON.parse(readFileSync(join(FIXTURES_DIR, 'psn-xbox-index.json'), 'utf8')) as { items: IndexItem[] };

/** Which schema answers for each recorded endpoint (Xbox: the contract version picks the shape). */
function schemaFor(item: IndexItem): z.ZodType | undefined {
  const contract = item.params.contract;
  switch (item.endpoint) {
    case 'psn.token':
      return psnTokenResponseSchema;
    case 'psn.trophyTitles':
      return psnTrophyTitlesPageSchema;
    case 'psn.titleTrophies':
      return psnTitleTrophiesSchema;
    case 'psn.userTrophies':
      return psnUserTrophiesSchema;
    case 'psn.titleTrophyGroups':
      return psnTitleTrophyGroupsSchema;
    case 'psn.userTrophyGroups':
      return psnUserTrophyGroupsSchema;
    case 'psn.trophySummary':
      return psnTrophySummarySchema;
    case 'psn.titlesTrophyTitles':
      return psnTitlesTrophyTitlesSchema;
    case 'psn.gamelist':
      return psnGameListPageSchema;
    case 'psn.profile':
      return psnProfileSchema;
    case 'psn.profileLegacy':
      return psnLegacyProfileSchema;
    case 'psn.badRequest':
      return undefined;
    case 'xbox.msaToken':
      return msaTokenResponseSchema;
    case 'xbox.userAuthenticate':
      return xboxUserTokenSchema;
    case 'xbox.xstsAuthorize':
      return xstsTokenSchema;
    case 'xbox.achievements':
      return contract === '1' ? xboxAchievementsV1PageSchema : xboxAchievementsV2PageSchema;
    case 'xbox.titleAchievements':
      return xboxAchievementsV1PageSchema;
    case 'xbox.achievementDetail':
      return xboxAchievementsV2PageSchema;
    case 'xbox.historyTitles':
      return contract === '1' ? xboxHistoryTitlesV1Schema : xboxHistoryTitlesV2Schema;
    case 'xbox.titlehubHistory':
    case 'xbox.titlehubTitle':
      return xboxTitlehubTitlesSchema;
    case 'xbox.profileSettings':
      return xboxProfileSettingsSchema;
  }
  throw new Error(`no schema mapped for ${item.endpoint}`);
}

const expectedErrorKind: Record<number, PlatformErrorKind> = { 400: 'malformed', 403: 'private', 404: 'not_found' };

let server: StubServer;
beforeAll(async () => {
  // Serves each recorded body at /<file> with its recorded status and content type.
  server = await startStubServer((request) => {
    const item = index.items.find((i) => `/${i.file}` === request.url);
    if (!item) return { status: 404, body: '' };
    return { status: item.response.status, headers: { 'content-type': item.response.contentType }, body: fixture(item.file) };
  });
});
afterAll(() => server.close());

describe('recorded PSN and Xbox fixtures', () => {
  it('covers every PSN and Xbox file of the shared index, byte-for-byte', () => {
    expect(index.items.length).toBe(34);
    for (const item of index.items) {
      const sha = createHash('sha256').update(readFileSync(join(FIXTURES_DIR, item.file))).digest('hex');
      expect(sha, item.file).toBe(item.sha256);
    }
  });

  for (const item of index.items) {
    it(`${item.file} (${item.endpoint}, ${item.response.status}) goes through the real HTTP layer`, async () => {
      const http = createPlatformHttp({ platform: item.platform, timeoutMs: 2_000 });
      const schema = schemaFor(item);
      if (item.response.status >= 200 && item.response.status < 300) {
        const { data } = await http.request({ endpoint: item.endpoint, url: `${server.baseUrl}/${item.file}`, schema: schema! });
        expect(data).toBeTruthy();
        return;
      }
      // Error bodies: the status decides the kind; the body is PSN's error envelope.
      const error = await http.request({ endpoint: item.endpoint, url: `${server.baseUrl}/${item.file}`, schema: schema ?? psnApiErrorSchema }).catch((e: unknown) => e);
      expect(isPlatformError(error)).toBe(true);
      expect((error as { kind: string }).kind).toBe(expectedErrorKind[item.response.status]);
      expect(psnApiErrorSchema.safeParse(JSON.parse(fixture(item.file))).success).toBe(true);
    });
  }
});

describe('what the schemas keep', () => {
  it('PSN trophy titles: pagination fields and string account ids', () => {
    const page1 = psnTrophyTitlesPageSchema.parse(JSON.parse(fixture('psn/trophy-titles-page1.json')));
    expect([page1.trophyTitles.length, page1.nextOffset, page1.previousOffset]).toEqual([50, 50, undefined]);
    expect(new Set(page1.trophyTitles.map((t) => t.npServiceName))).toEqual(new Set(['trophy', 'trophy2']));
    const page2 = psnTrophyTitlesPageSchema.parse(JSON.parse(fixture('psn/trophy-titles-page2.json')));
    expect([page2.nextOffset, page2.previousOffset]).toEqual([100, 49]);
    const empty = psnGameListPageSchema.parse(JSON.parse(fixture('psn/gamelist-titles-empty.json')));
    expect([empty.nextOffset, empty.previousOffset, empty.totalItemCount]).toEqual([null, 0, 0]);
  });

  it('PSN earned trophies: earned rate stays a string, rarity 0–3', () => {
    const earned = psnUserTrophiesSchema.parse(JSON.parse(fixture('psn/user-trophies-NPWR08964.json')));
    const platinum = earned.trophies.find((t) => t.trophyId === 0)!;
    expect([platinum.trophyType, platinum.trophyEarnedRate, platinum.trophyRare, platinum.earnedDateTime]).toEqual(['platinum', '1.6', 0, '2017-12-08T15:28:44Z']);
    const all = psnTitleTrophiesSchema.parse(JSON.parse(fixture('psn/title-trophies-NPWR21647-all.json')));
    expect(all.trophies).toHaveLength(78);
    expect(new Set(all.trophies.map((t) => t.trophyGroupId)).has('default')).toBe(true);
  });

  it('Xbox v2 achievements: string ids, locked sentinel, gamerscore from rewards', () => {
    const page = xboxAchievementsV2PageSchema.parse(JSON.parse(fixture('xbox/achievements-v2-page1.json')));
    expect(page.achievements).toHaveLength(32);
    expect(page.pagingInfo).toEqual({ continuationToken: '32', totalRecords: 73 });
    const locked = page.achievements.filter((a) => isXboxLockedTime(a.progression.timeUnlocked));
    expect(locked.every((a) => a.progressState !== 'Achieved')).toBe(true);
    expect(page.achievements.filter((a) => a.progressState === 'Achieved')).toHaveLength(14);
    const first = page.achievements[0]!;
    expect([first.id, typeof xboxAchievementGamerscore(first)]).toEqual(['5', 'number']);
  });

  it('Xbox v1 and titlehub: numeric vs string title ids', () => {
    const v1 = xboxAchievementsV1PageSchema.parse(JSON.parse(fixture('xbox/achievements-v1-x360-earned.json')));
    expect([v1.achievements[0]!.id, v1.achievements[0]!.titleId, v1.achievements[0]!.gamerscore]).toEqual([6, 1297290392, 10]);
    const history = xboxHistoryTitlesV1Schema.parse(JSON.parse(fixture('xbox/history-titles-v1.json')));
    expect(history.pagingInfo.continuationToken).toBe('32,2018-03-28T01:28:51.8070000Z');
    const hub = xboxTitlehubTitlesSchema.parse(JSON.parse(fixture('xbox/titlehub-titlehistory.json')));
    expect(typeof hub.titles[0]!.titleId).toBe('string');
  });
});
