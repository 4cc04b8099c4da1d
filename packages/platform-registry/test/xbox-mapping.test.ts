import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  xboxAchievementsV1PageSchema,
  xboxAchievementsV2PageSchema,
  xboxHistoryTitlesV1Schema,
  xboxHistoryTitlesV2Schema,
  xboxTitlehubTitlesSchema,
  type XboxTitlehubTitle,
} from '@ach/platform-clients';
import {
  mapXbox360Achievements,
  mapXboxModernAchievements,
  mapXboxTitle,
  xboxChangeMarker,
  xboxContractOf,
  xboxDate,
  xboxPlatformProgress,
  xboxTitleSummary,
} from '../src/xbox/xbox-mapping.ts';

/** The recorded Xbox Live bodies (byte-for-byte copies, sha256-checked by platform-clients' fixture test). */
const FIXTURES = join(import.meta.dirname, '../../platform-clients/test/fixtures/xbox');
const recorded = (file: string): unknown => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

const titlehub = xboxTitlehubTitlesSchema.parse(recorded('titlehub-titlehistory.json')).titles;
const halo = xboxAchievementsV2PageSchema.parse(recorded('achievements-v2-page1.json'));
const haloDetail = xboxAchievementsV2PageSchema.parse(recorded('achievement-detail-v2.json'));
const hexicAll = xboxAchievementsV1PageSchema.parse(recorded('title-achievements-v1-x360-all.json'));
const hexicEarned = xboxAchievementsV1PageSchema.parse(recorded('achievements-v1-x360-earned.json'));
const haloHistory = xboxHistoryTitlesV2Schema.parse(recorded('history-titles-v2.json')).titles.find((t) => t.titleId === 219630713)!;
const hexicHistory = xboxHistoryTitlesV1Schema.parse(recorded('history-titles-v1.json')).titles.find((t) => t.titleId === 1297290392)!;

/**
 * A titlehub entry for a title whose achievements were recorded, built from that title's recorded
 * `/history/titles` row (titlehub's own recording holds other titles): same id, name and progress.
 */
function titlehubEntry(fields: { titleId: number; name: string; devices: string[]; sourceVersion: number; current: number; gamerscore: number; total: number; lastPlayed: string }): XboxTitlehubTitle {
  return xboxTitlehubTitlesSchema.parse({
    xuid: '2669321029139235',
    titles: [
      {
        titleId: String(fields.titleId),
        name: fields.name,
        type: 'Game',
        devices: fields.devices,
        displayImage: 'http://store-images.s-microsoft.com/image/apps.1.2',
        achievement: {
          currentAchievements: fields.current,
          totalAchievements: 0,
          currentGamerscore: fields.gamerscore,
          totalGamerscore: fields.total,
          progressPercentage: Math.round((100 * fields.gamerscore) / fields.total),
          sourceVersion: fields.sourceVersion,
        },
        titleHistory: { lastTimePlayed: fields.lastPlayed, visible: true, canHide: false },
      },
    ],
  }).titles[0]!;
}

describe('Xbox dates', () => {
  it('the 0001-01-01 sentinel and garbage are not dates; 7 fractional digits keep milliseconds', () => {
    expect(xboxDate('0001-01-01T00:00:00.0000000Z')).toBeNull();
    expect(xboxDate(null)).toBeNull();
    expect(xboxDate('soon')).toBeNull();
    expect(xboxDate('2015-10-26T18:11:03.6689508Z')).toEqual(new Date('2015-10-26T18:11:03.668Z'));
  });
});

describe('titlehub title history (titlehub-titlehistory.json) → title summaries', () => {
  it('every recorded title maps: decimal-string id, Xbox progress in the change marker, last played', () => {
    const summaries = titlehub.map((t) => xboxTitleSummary(t));
    expect(summaries.map((s) => [s.platformGameId, s.name, s.changeMarker])).toEqual([
      ['1560034050', "Assassin's Creed® Syndicate", '22|465|2020-10-08T01:55:12.441Z'],
      ['12206284', 'eFootball PES 2020', '0|0|2020-10-07T21:00:48.758Z'],
      ['1787008472', 'Call of Duty: Modern Warfare', '0|0|2020-10-06T20:02:33.435Z'],
      ['1828326430', 'Minecraft', '12|195|2020-10-01T23:14:26.940Z'],
      ['33936946', 'Zoo Tycoon: Ultimate Animal Collection', '0|0|2020-09-27T17:47:16.257Z'],
    ]);
    const first = summaries[0]!;
    expect(first).toMatchObject({
      iconUrl: titlehub[0]!.displayImage,
      lastPlayedAt: new Date('2020-10-08T01:55:12.441Z'),
      playtimeMinutes: null,
      gameData: { contract: 2, devices: ['XboxOne'], totalGamerscore: 1300, serviceConfigId: null, modernTitleId: '1560034050', mediaItemType: 'Application' },
    });
    // sourceVersion 0 (no achievements) on a PC title is still the modern system.
    expect(titlehub.map(xboxContractOf)).toEqual([2, 2, 2, 2, 2]);
  });

  it('the marker moves with a new unlock, prefers lastUnlock over last played, and ignores a new play when lastUnlock is known', () => {
    const title = titlehub[0]!;
    const base = xboxChangeMarker(title);
    expect(xboxChangeMarker({ ...title, achievement: { ...title.achievement!, currentAchievements: 23, currentGamerscore: 480 } })).not.toBe(base);
    const withUnlock = xboxChangeMarker(title, '2020-10-01T10:00:00.0000000Z');
    expect(withUnlock).toBe('22|465|2020-10-01T10:00:00.000Z');
    expect(xboxChangeMarker({ ...title, titleHistory: { lastTimePlayed: '2021-01-01T00:00:00.0000000Z' } }, '2020-10-01T10:00:00.0000000Z')).toBe(withUnlock);
    expect(xboxChangeMarker(title, '0001-01-01T00:00:00.0000000Z')).toBe(base);
  });

  it('the single-title body (titlehub-titleinfo.json) maps too: scid kept, no title history → no last played', () => {
    const [seaOfThieves] = xboxTitlehubTitlesSchema.parse(recorded('titlehub-titleinfo.json')).titles;
    expect(xboxTitleSummary(seaOfThieves!)).toEqual({
      platformGameId: '1717113201',
      name: 'Sea of Thieves',
      iconUrl: seaOfThieves!.displayImage,
      changeMarker: '2|15|-',
      lastPlayedAt: null,
      playtimeMinutes: null,
      gameData: {
        contract: 2,
        devices: ['PC', 'XboxOne', 'XboxSeries'],
        serviceConfigId: '00000000-0000-0000-0000-000066591171',
        totalGamerscore: 2740,
        modernTitleId: '1717113201',
        pfn: 'Microsoft.SeaofThieves_8wekyb3d8bbwe',
        mediaItemType: 'Application',
      },
      // user_progress takes Xbox's own gamerscore and percentage.
      progress: { pointsEarned: 15, pointsTotal: 2740, completionPercentage: 1, data: { xboxAchievementsEarned: 2 } },
    });
  });

  it("progress is Xbox's own gamerscore and percentage, with the last unlock when /history/titles gave it; none without the decoration", () => {
    const title = titlehub[0]!;
    expect(xboxPlatformProgress(title, '2020-10-01T10:00:00.1234567Z')).toEqual({
      pointsEarned: 465,
      pointsTotal: 1300,
      completionPercentage: 36,
      data: { xboxAchievementsEarned: 22, lastUnlockAt: '2020-10-01T10:00:00.123Z' },
    });
    expect(xboxPlatformProgress({ ...title, achievement: null })).toBeUndefined();
    expect(xboxTitleSummary({ ...title, achievement: null })).not.toHaveProperty('progress');
  });

  it('a title played only on Xbox 360 (or with sourceVersion 1) uses contract 1', () => {
    const t = titlehub[0]!;
    expect(xboxContractOf({ ...t, devices: ['Xbox360'], achievement: null })).toBe(1);
    expect(xboxContractOf({ ...t, achievement: { ...t.achievement!, sourceVersion: 1 } })).toBe(1);
    expect(xboxContractOf({ ...t, devices: ['Xbox360', 'XboxOne'], achievement: null })).toBe(2);
  });
});

describe('modern achievements (achievements-v2-page1.json, achievement-detail-v2.json)', () => {
  const { achievements, unlocks } = mapXboxModernAchievements(halo.achievements);

  it('definitions: string ids, how-to-earn description, Icon media asset, gamerscore from the string reward', () => {
    expect(achievements).toHaveLength(32);
    expect(achievements[0]).toEqual({
      platformAchievementId: '5',
      name: 'Your Team is Your Weapon',
      description: 'Command your team of Spartans in Osiris.',
      iconUrl: halo.achievements[0]!.mediaAssets[0]!.url,
      iconLockedUrl: null,
      hidden: false,
      points: 10,
      type: 'Persistent',
      rarityPercentage: null,
      platformData: {
        serviceConfigId: '1370999b-fca2-4c53-8ec5-73493bcb67e5',
        unlockedDescription: 'Commanded your team of Spartans in Osiris.',
        lockedDescription: 'Command your team of Spartans in Osiris.',
        participationType: 'Individual',
      },
    });
    expect(achievements.every((a) => Number.isInteger(a.points) && a.points! > 0)).toBe(true);
  });

  it('unlocks: exactly the Achieved ones with their time; InProgress / NotStarted (sentinel time) are not earned', () => {
    expect(unlocks).toHaveLength(14);
    expect(unlocks.map((u) => u.platformAchievementId)).toEqual(['5', '6', '7', '8', '10', '20', '21', '22', '24', '25', '26', '27', '28', '32']);
    expect(unlocks[0]).toEqual({ platformAchievementId: '5', earnedAt: new Date('2015-10-26T18:11:03.668Z') });
    expect(unlocks.every((u) => u.earnedAt instanceof Date)).toBe(true);
    expect(unlocks.some((u) => ['13', '17', '9'].includes(u.platformAchievementId))).toBe(false);
  });

  it('rarity comes from rarity.currentPercentage (contract 4) and a hidden achievement is isSecret', () => {
    const source = halo.achievements[4]!;
    const [mapped] = mapXboxModernAchievements([{ ...source, isSecret: true, rarity: { currentCategory: 'Rare', currentPercentage: 4.56 } }]).achievements;
    expect([mapped!.hidden, mapped!.rarityPercentage, mapped!.platformData?.rarityCategory]).toEqual([true, 4.56, 'Rare']);
  });

  it('an Achieved achievement with the sentinel time is earned without a date', () => {
    const source = halo.achievements[0]!;
    const { unlocks: u } = mapXboxModernAchievements([{ ...source, progression: { ...source.progression, timeUnlocked: '0001-01-01T00:00:00.0000000Z' } }]);
    expect(u).toEqual([{ platformAchievementId: '5', earnedAt: null }]);
  });

  it('the single-achievement detail body maps the same way (NotStarted, not earned)', () => {
    const detail = mapXboxModernAchievements(haloDetail.achievements);
    expect([detail.achievements[0]!.platformAchievementId, detail.unlocks]).toEqual(['39', []]);
  });
});

describe('Xbox 360 achievements (title-achievements-v1-x360-all.json + achievements-v1-x360-earned.json)', () => {
  it('definitions from /titleachievements (integer gamerscore), earned only from /achievements', () => {
    const { achievements, unlocks } = mapXbox360Achievements(hexicAll.achievements, hexicEarned.achievements);
    expect(achievements).toHaveLength(15);
    expect(achievements.reduce((sum, a) => sum + a.points!, 0)).toBe(hexicHistory.totalGamerscore);
    expect(achievements.find((a) => a.platformAchievementId === '6')).toEqual({
      platformAchievementId: '6',
      name: 'Die fantastischen Fünf',
      description: 'Erzeuge ein Farblöscher-Hexa aus 5 Hexas',
      iconUrl: 'http://image.xboxlive.com/global/t.4D531498/ach/0/C',
      iconLockedUrl: null,
      hidden: false,
      points: 10,
      type: null,
      rarityPercentage: null,
      platformData: { unlockedDescription: 'Ein Farblöscher-Hexa aus 5 Hexas erzeugt', lockedDescription: 'Erzeuge ein Farblöscher-Hexa aus 5 Hexas', imageId: 12 },
    });
    // /titleachievements says unlocked: false (placeholder 2002-11-15) on every row, id 6 included.
    expect(mapXbox360Achievements(hexicAll.achievements, []).unlocks).toEqual([]);
    expect(unlocks).toEqual([{ platformAchievementId: '6', earnedAt: new Date('2014-04-12T14:05:02.000Z') }]);
  });

  it('an earned achievement missing from the definitions is still defined; a non-unlocked earned row is ignored', () => {
    const earned = hexicEarned.achievements[0]!;
    const { achievements, unlocks } = mapXbox360Achievements([], [earned, { ...earned, id: 99, unlocked: false, unlockedOnline: false }]);
    expect(achievements.map((a) => a.platformAchievementId)).toEqual(['6']);
    expect(unlocks.map((u) => u.platformAchievementId)).toEqual(['6']);
  });
});

describe('mapXboxTitle: one title → game, definitions, unlocks, progress', () => {
  it('Halo 5 (contract 2): progress is Xbox own gamerscore and percentage; lastUnlock from /history/titles', () => {
    const title = titlehubEntry({
      titleId: haloHistory.titleId,
      name: haloHistory.name,
      devices: ['XboxOne'],
      sourceVersion: 2,
      current: haloHistory.earnedAchievements,
      gamerscore: haloHistory.currentGamerscore,
      total: haloHistory.maxGamerscore,
      lastPlayed: '2016-01-02T03:04:05.0000000Z',
    });
    const mapped = mapXboxTitle({ title, achievements: { contract: 2, achievements: halo.achievements }, lastUnlock: haloHistory.lastUnlock });
    expect(mapped.game).toEqual({
      platformGameId: '219630713',
      name: 'Halo 5: Guardians',
      iconUrl: 'http://store-images.s-microsoft.com/image/apps.1.2',
      achievementsTotal: 32,
      platformSpecificData: { contract: 2, devices: ['XboxOne'], serviceConfigId: null, totalGamerscore: 1250, modernTitleId: null, pfn: null, mediaItemType: null },
    });
    expect(mapped.progress).toEqual({
      gamerscore: 260,
      totalGamerscore: 1250,
      percentage: 21,
      achievementsEarned: 14,
      lastPlayedAt: new Date('2016-01-02T03:04:05.000Z'),
      lastUnlockAt: new Date('2015-11-11T06:22:21.937Z'),
      changeMarker: '24|260|2015-11-11T06:22:21.937Z',
    });
    // The recorded page's newest unlock is the one /history/titles calls lastUnlock.
    expect(Math.max(...mapped.unlocks.map((u) => u.earnedAt!.getTime()))).toBe(mapped.progress.lastUnlockAt!.getTime());
    expect(mapped.summary).toMatchObject({ platformGameId: '219630713', changeMarker: mapped.progress.changeMarker, gameData: mapped.game.platformSpecificData });
  });

  it('Hexic (contract 1): 360 definitions + earned, Xbox gamerscore, last played as the marker time', () => {
    const title = titlehubEntry({
      titleId: hexicHistory.titleId,
      name: hexicHistory.name,
      devices: ['Xbox360'],
      sourceVersion: 1,
      current: hexicHistory.currentAchievements,
      gamerscore: hexicHistory.currentGamerscore,
      total: hexicHistory.totalGamerscore,
      lastPlayed: hexicHistory.lastPlayed,
    });
    const mapped = mapXboxTitle({ title, achievements: { contract: 1, definitions: hexicAll.achievements, earned: hexicEarned.achievements } });
    expect([mapped.game.platformGameId, mapped.game.achievementsTotal, mapped.game.platformSpecificData.contract]).toEqual(['1297290392', 15, 1]);
    expect(mapped.unlocks).toEqual([{ platformAchievementId: '6', earnedAt: new Date('2014-04-12T14:05:02.000Z') }]);
    expect(mapped.progress).toEqual({
      gamerscore: 10,
      totalGamerscore: 200,
      percentage: 5,
      achievementsEarned: 1,
      lastPlayedAt: new Date('2014-04-12T14:05:02.000Z'),
      lastUnlockAt: new Date('2014-04-12T14:05:02.000Z'),
      changeMarker: '1|10|2014-04-12T14:05:02.000Z',
    });
  });

  it('without the achievement decoration the progress falls back to the unlocked points and no percentage', () => {
    const title = { ...titlehub[0]!, achievement: null };
    const mapped = mapXboxTitle({ title, achievements: { contract: 2, achievements: halo.achievements } });
    expect([mapped.progress.gamerscore, mapped.progress.percentage, mapped.progress.totalGamerscore]).toEqual([150, null, null]);
    expect(mapped.progress.changeMarker).toBe('-|-|2020-10-08T01:55:12.441Z');
  });
});
