import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPsnAuthClient,
  createPsnTrophyClient,
  psnTitlesTrophyTitlesSchema,
  psnTitleTrophiesSchema,
  psnTitleTrophyGroupsSchema,
  psnUserTrophiesSchema,
  psnUserTrophyGroupsSchema,
  type PsnTrophyTitle,
} from '@ach/platform-clients';
import { startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import {
  mapPsnTitle,
  psnAchievements,
  psnEarnedUnlocks,
  psnGameData,
  psnGameGroups,
  psnProgressRow,
  psnRarity,
  psnTitleSummary,
  psnUnlocks,
  PSN_TROPHY_POINTS,
} from '../src/psn/psn-mapping.ts';

/** The recorded PSN bodies (byte-for-byte copies kept by the client package). */
const FIXTURES = join(import.meta.dirname, '../../platform-clients/test/fixtures/psn');
const fixture = <T>(file: string, schema: { parse(value: unknown): T }): T => schema.parse(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));

const defs08964 = () => fixture('title-trophies-NPWR08964.json', psnTitleTrophiesSchema);
const mine08964 = () => fixture('user-trophies-NPWR08964.json', psnUserTrophiesSchema);

/**
 * NPWR08964's title-list entry was not recorded; this one is built from its recorded trophy lists (33
 * trophies, all earned, last update as the user call says) so the title-level fields have real values.
 */
const title08964: PsnTrophyTitle = {
  npServiceName: 'trophy',
  npCommunicationId: 'NPWR08964_00',
  trophySetVersion: '01.00',
  trophyTitleName: 'NPWR08964 (recorded trophy lists)',
  trophyTitleIconUrl: 'https://image.api.playstation.com/trophy/np/NPWR08964_00_0076B51E58264123DB61349EDA177D93770079F7FB/icon.PNG',
  trophyTitlePlatform: 'PS4',
  hasTrophyGroups: false,
  trophyGroupCount: 1,
  definedTrophies: { bronze: 14, silver: 13, gold: 5, platinum: 1 },
  progress: 100,
  earnedTrophies: { bronze: 14, silver: 13, gold: 5, platinum: 1 },
  hiddenFlag: false,
  lastUpdatedDateTime: '2017-12-19T09:15:37Z',
};

/** Fallout 76 as jeranther's title list has it (recorded: titles/trophyTitles?npTitleIds=…). */
const title15509 = (): PsnTrophyTitle => {
  const titles = fixture('titles-trophy-titles-by-npTitleIds.json', psnTitlesTrophyTitlesSchema).titles.flatMap((t) => t.trophyTitles);
  const { rarestTrophies: _rarest, ...title } = titles.find((t) => t.npCommunicationId === 'NPWR15509_00')!;
  return { ...title, hasTrophyGroups: title.hasTrophyGroups ?? true };
};

describe('PSN mapping of the recorded bodies', () => {
  it('NPWR08964 (PS4): 33 achievements with type, points, rarity from trophyEarnedRate, group; 33 dated unlocks', () => {
    const rows = mapPsnTitle({ title: title08964, titleTrophies: defs08964(), userTrophies: mine08964() });
    expect(rows.game).toEqual({
      platformGameId: 'NPWR08964_00',
      name: title08964.trophyTitleName,
      iconUrl: title08964.trophyTitleIconUrl,
      achievementsTotal: 33,
      platformSpecificData: {
        npServiceName: 'trophy',
        platform: 'PS4',
        trophySetVersion: '01.00',
        definedTrophies: { bronze: 14, silver: 13, gold: 5, platinum: 1 },
        groups: [{ id: 'default', name: null, iconUrl: null, definedTrophies: { bronze: 14, silver: 13, gold: 5, platinum: 1 } }],
      },
    });
    expect(rows.achievements).toHaveLength(33);
    expect(rows.achievements[0]).toEqual({
      platformAchievementId: '0',
      name: 'Chip Off the Old Block',
      description: 'Earned all Trophies',
      iconUrl: 'https://image.api.playstation.com/trophy/np/NPWR08964_00_0076B51E58264123DB61349EDA177D93770079F7FB/3DE120BEA7DAE4937A6990241113193829DE55FE.PNG',
      iconLockedUrl: null,
      hidden: false,
      points: 300,
      type: 'platinum',
      rarityPercentage: 1.6,
      platformData: { groupId: 'default' },
    });
    expect(rows.achievements[5]).toMatchObject({ platformAchievementId: '5', name: 'Out of the Frying Pan…', type: 'silver', points: 30, rarityPercentage: 55.2, platformData: { groupId: 'default' } });
    // Every rarity is the user call's earned rate, as a number.
    const rates = new Map(mine08964().trophies.map((t) => [String(t.trophyId), Number(t.trophyEarnedRate)]));
    for (const a of rows.achievements) expect(a.rarityPercentage).toBe(rates.get(a.platformAchievementId));

    expect(rows.unlocks).toHaveLength(33);
    expect(rows.unlocks.find((u) => u.platformAchievementId === '0')).toEqual({ platformAchievementId: '0', earnedAt: new Date('2017-12-08T15:28:44Z') });
    expect(rows.unmatchedTrophyIds).toEqual([]);
    expect(rows.progress).toMatchObject({ progress: 100, earnedCount: 33, definedCount: 33, pointsTotal: 14 * 15 + 13 * 30 + 5 * 90 + 300 });
  });

  it('NPWR21647 (PS5, trophyGroupId=all): DLC groups from the trophies, hidden flags, no rarity without the user call', () => {
    const defs = fixture('title-trophies-NPWR21647-all.json', psnTitleTrophiesSchema);
    expect(psnGameGroups(defs)).toEqual([
      { id: 'default', name: null, iconUrl: null, definedTrophies: { bronze: 42, silver: 5, gold: 3, platinum: 1 } },
      { id: '001', name: null, iconUrl: null, definedTrophies: { bronze: 7, silver: 2, gold: 0, platinum: 0 } },
      { id: '002', name: null, iconUrl: null, definedTrophies: { bronze: 7, silver: 3, gold: 0, platinum: 0 } },
      { id: '003', name: null, iconUrl: null, definedTrophies: { bronze: 3, silver: 5, gold: 0, platinum: 0 } },
    ]);
    const achievements = psnAchievements(defs);
    expect(achievements).toHaveLength(78);
    expect(achievements.filter((a) => a.hidden)).toHaveLength(21);
    expect(achievements.find((a) => a.platformAchievementId === '51')).toMatchObject({
      name: 'Be Prepared',
      description: 'GTA Online: You completed a Heist Setup mission.',
      hidden: true,
      type: 'bronze',
      points: 15,
      rarityPercentage: null,
      platformData: { groupId: '001' },
    });
  });

  it('NPWR15509 (groups): DLC names and icons from the groups call; progress is PSN\'s 77, not a share of the counts', () => {
    const title = title15509();
    const groups = psnGameGroups(undefined, fixture('title-trophy-groups-NPWR15509.json', psnTitleTrophyGroupsSchema));
    expect(groups.map((g) => [g.id, g.name])).toEqual([
      ['default', 'Fallout 76'],
      ['001', 'Wastelanders'],
      ['002', 'Steel Reign'],
      ['003', 'The Pitt'],
      ['004', 'Atlantic City'],
    ]);
    expect(groups[1]!.definedTrophies).toEqual({ bronze: 7, silver: 3, gold: 0, platinum: 0 });
    expect(groups[1]!.iconUrl).toMatch(/55E3C78AABD34ED96A441471811AD7F6CCEAC6F9\.PNG$/);
    expect(psnGameData(title, groups)).toMatchObject({ npServiceName: 'trophy', platform: null, definedTrophies: { bronze: 53, silver: 18, gold: 1, platinum: 1 } });

    const progress = psnProgressRow(title, fixture('user-trophy-groups-NPWR15509.json', psnUserTrophyGroupsSchema));
    // 55 of 73 trophies would be 75 %; PSN says 77 (points-weighted, platinum left out) and that is what is kept.
    expect(Math.floor((100 * progress.earnedCount) / progress.definedCount)).toBe(75);
    expect(progress).toEqual({
      progress: 77,
      earnedTrophies: { bronze: 38, silver: 15, gold: 1, platinum: 1 },
      definedTrophies: { bronze: 53, silver: 18, gold: 1, platinum: 1 },
      earnedCount: 55,
      definedCount: 73,
      pointsEarned: 38 * 15 + 15 * 30 + 90 + 300,
      pointsTotal: 53 * 15 + 18 * 30 + 90 + 300,
      lastUpdatedAt: new Date('2020-11-28T22:55:19Z'),
      groups: [
        { id: 'default', progress: 100, earnedTrophies: { bronze: 34, silver: 15, gold: 1, platinum: 1 }, lastUpdatedAt: new Date('2020-11-22T17:51:30Z') },
        { id: '001', progress: 30, earnedTrophies: { bronze: 4, silver: 0, gold: 0, platinum: 0 }, lastUpdatedAt: new Date('2020-11-28T22:55:16Z') },
        { id: '002', progress: 0, earnedTrophies: { bronze: 0, silver: 0, gold: 0, platinum: 0 }, lastUpdatedAt: null },
        { id: '003', progress: 0, earnedTrophies: { bronze: 0, silver: 0, gold: 0, platinum: 0 }, lastUpdatedAt: null },
        { id: '004', progress: 0, earnedTrophies: { bronze: 0, silver: 0, gold: 0, platinum: 0 }, lastUpdatedAt: null },
      ],
    });
  });

  it('the title summary for the engine: npCommunicationId, a marker that moves with a new trophy, a new set version or new counts', () => {
    const summary = psnTitleSummary(title08964);
    expect(summary).toMatchObject({ platformGameId: 'NPWR08964_00', name: title08964.trophyTitleName, playtimeMinutes: null, lastPlayedAt: new Date('2017-12-19T09:15:37Z') });
    // Groups come with the definitions (GameMetadata.gameData), so the list step leaves them alone.
    expect(summary.gameData).toEqual({ npServiceName: 'trophy', platform: 'PS4', trophySetVersion: '01.00', definedTrophies: title08964.definedTrophies });
    // PSN's own progress and counts by grade for user_progress; the defined count for the engine's cache check.
    expect(summary.progress).toEqual({
      completionPercentage: 100,
      pointsEarned: 14 * 15 + 13 * 30 + 5 * 90 + 300,
      pointsTotal: 14 * 15 + 13 * 30 + 5 * 90 + 300,
      data: { earnedTrophies: title08964.earnedTrophies, definedTrophies: title08964.definedTrophies, earnedCount: 33, definedCount: 33 },
    });
    expect(summary.definedAchievements).toBe(33);
    const markers = new Set([
      summary.changeMarker,
      psnTitleSummary({ ...title08964, lastUpdatedDateTime: '2017-12-20T00:00:00Z' }).changeMarker,
      psnTitleSummary({ ...title08964, trophySetVersion: '01.01' }).changeMarker,
      psnTitleSummary({ ...title08964, definedTrophies: { ...title08964.definedTrophies, bronze: 20 } }).changeMarker,
    ]);
    expect(markers.size).toBe(4);
    expect(psnTitleSummary({ ...title08964 }).changeMarker).toBe(summary.changeMarker);
  });

  it('unlocks: only earned trophies with a definition; an unknown trophyId is reported, never written', () => {
    const mine = mine08964();
    mine.trophies[3] = { ...mine.trophies[3]!, earned: false, earnedDateTime: undefined };
    mine.trophies.push({ trophyId: 99, trophyHidden: false, earned: true, earnedDateTime: '2018-01-01T00:00:00Z', trophyType: 'bronze' });
    const { unlocks, unmatchedTrophyIds } = psnUnlocks(defs08964(), mine);
    expect(unlocks).toHaveLength(32);
    expect(unlocks.some((u) => u.platformAchievementId === '3')).toBe(false);
    expect(unmatchedTrophyIds).toEqual([99]);
  });

  it('the user call alone gives rarity for every trophy and the earned ones with their dates', () => {
    const mine = mine08964();
    expect(psnRarity(mine)).toHaveLength(33);
    expect(psnRarity(mine).find((r) => r.platformAchievementId === '0')).toEqual({ platformAchievementId: '0', rarityPercentage: 1.6 });
    expect(psnEarnedUnlocks(mine)).toEqual(psnUnlocks(defs08964(), mine).unlocks);
  });

  it('a set without DLC groups names its default group as the title (PSN does): no groups call needed', () => {
    expect(psnGameGroups(defs08964(), undefined, title08964)).toEqual([
      { id: 'default', name: title08964.trophyTitleName, iconUrl: title08964.trophyTitleIconUrl, definedTrophies: { bronze: 14, silver: 13, gold: 5, platinum: 1 } },
    ]);
  });

  it('trophy points are PSN\'s trophy-level values', () => {
    expect(PSN_TROPHY_POINTS).toEqual({ bronze: 15, silver: 30, gold: 90, platinum: 300 });
  });
});

describe('PSN mapping of sandbox answers fetched through the client', () => {
  let sandbox: StartedSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(() => sandbox.close());

  it('a title with DLC groups maps to exactly what the sandbox library holds', async () => {
    const auth = createPsnAuthClient({ authBaseUrl: sandbox.url, apiBaseUrl: sandbox.url });
    const client = createPsnTrophyClient({ apiBaseUrl: sandbox.url, timeoutMs: 5_000 });
    const token = (await auth.exchangeNpsso('sandbox-npsso-ikemenzi')).accessToken;
    const { titles } = await client.listTrophyTitles(token, 'me');
    const title = titles.find((t) => t.hasTrophyGroups && t.earnedTrophies.bronze > 0)!;
    const [titleTrophies, userTrophies, titleGroups, userGroups] = await Promise.all([
      client.getTitleTrophies(token, title),
      client.getUserTrophies(token, 'me', title),
      client.getTitleTrophyGroups(token, title),
      client.getUserTrophyGroups(token, 'me', title),
    ]);
    const rows = mapPsnTitle({ title, titleTrophies, userTrophies, titleGroups, userGroups });

    const expected = sandbox.state.psn.trophies.view('6515971742264256071')!.titles.find((t) => t.npCommunicationId === title.npCommunicationId)!;
    expect(rows.achievements.map((a) => [a.platformAchievementId, a.type, a.hidden, a.rarityPercentage, a.platformData?.groupId])).toEqual(
      expected.trophies!.map((t) => [String(t.trophyId), t.trophyType, t.trophyHidden, Number(t.trophyEarnedRate), t.trophyGroupId]),
    );
    expect(rows.unlocks).toEqual(expected.trophies!.filter((t) => t.earned).map((t) => ({ platformAchievementId: String(t.trophyId), earnedAt: new Date(t.earnedDateTime!) })));
    expect(rows.game.platformSpecificData.groups.map((g) => g.id)).toEqual(expected.groups);
    expect(rows.game.platformSpecificData.groups.every((g) => g.name !== null)).toBe(true);
    expect([rows.progress.progress, rows.progress.earnedTrophies]).toEqual([expected.progress, expected.earnedTrophies]);
  });
});
