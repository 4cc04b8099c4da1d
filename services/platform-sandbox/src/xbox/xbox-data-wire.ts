import type { XboxAchievementDefinition, XboxTitleDefinition } from './xbox-catalogue.ts';
import type { XboxOwnedTitle, XboxTitleProgress } from './xbox-library.ts';
import { xboxInstant } from './xbox-wire.ts';

/**
 * Bodies of the Xbox Live data services (achievements.xboxlive.com, titlehub.xboxlive.com), keys in the
 * order of the recorded responses (platform-fixtures/xbox): the sandbox wire-shape test compares their key
 * sets with the recordings, recursively.
 */

/** An unearned modern achievement's `timeUnlocked`: a sentinel, not a date. */
export const XBOX_LOCKED_TIME = '0001-01-01T00:00:00.0000000Z';
/** What `/titleachievements` (contract 1) puts in `timeUnlocked` on every row, earned or not. */
export const XBOX_360_PLACEHOLDER_TIME = '2002-11-15T00:00:00.0000000Z';
/** The top-level `version` of contract-1 achievement pages, as recorded. */
const LEGACY_ACHIEVEMENTS_VERSION = '0001-01-01T00:00:00.0000000Z';

export const pagingInfo = (continuationToken: string | null, totalRecords: number) => ({ continuationToken, totalRecords });

const progressPercentage = (current: number, total: number) => (total > 0 ? Math.round((100 * current) / total) : 0);

function titlehubImages(definition: XboxTitleDefinition): { url: string; type: string }[] {
  if (definition.kind === 'x360') return [{ url: definition.displayImage, type: 'BoxArt' }];
  return ['BoxArt', 'Poster', 'BrandedKeyArt', 'Screenshot'].map((type, i) => ({ url: `${definition.displayImage}.${i}`, type }));
}

/**
 * One titlehub title. Every decoration key is on the wire, null when not asked for (as titlehub answers,
 * titlehub-titleinfo.json); `serviceConfigId` only with the `scid` decoration. `achievement.totalAchievements`
 * is 0, as Xbox sends it. `decorations` are lower-case.
 */
export function titlehubTitle(owned: XboxOwnedTitle, decorations: ReadonlySet<string>): Record<string, unknown> {
  const d = owned.definition;
  const modern = d.kind === 'modern';
  const sourceVersion = modern ? 2 : 1;
  return {
    titleId: String(d.titleId),
    pfn: d.pfn,
    bingId: d.bingId,
    // A title without its own service config gets one derived from its id (as titlehub-titleinfo.json shows).
    ...(decorations.has('scid') ? { serviceConfigId: d.serviceConfigId ?? `00000000-0000-0000-0000-0000${d.titleId.toString(16).padStart(8, '0')}` } : {}),
    windowsPhoneProductId: d.windowsPhoneProductId,
    name: d.name,
    type: 'Game',
    devices: d.devices,
    displayImage: d.displayImage,
    mediaItemType: modern ? 'Application' : 'Xbox360Game',
    modernTitleId: modern ? String(d.titleId) : null,
    isBundle: false,
    achievement: decorations.has('achievement')
      ? {
          currentAchievements: owned.earnedCount,
          totalAchievements: 0,
          currentGamerscore: owned.currentGamerscore,
          totalGamerscore: d.totalGamerscore,
          progressPercentage: progressPercentage(owned.currentGamerscore, d.totalGamerscore),
          sourceVersion,
        }
      : null,
    stats: decorations.has('stats') ? { sourceVersion } : null,
    gamePass: decorations.has('gamepass') ? { isGamePass: false } : null,
    images: decorations.has('image') ? titlehubImages(d) : null,
    titleHistory: { lastTimePlayed: xboxInstant(owned.progress.lastPlayed), visible: true, canHide: false },
    detail: decorations.has('detail')
      ? {
          attributes: [],
          availabilities: [],
          capabilities: [],
          description: `${d.name}: a sandbox title.`,
          developerName: 'Sandbox Studios',
          publisherName: 'Sandbox Publishing',
          minAge: 12,
          releaseDate: null,
          shortDescription: d.name,
          vuiDisplayName: null,
          xboxLiveGoldRequired: false,
        }
      : null,
    friendsWhoPlayed: decorations.has('friendswhoplayed') ? { people: [], currentlyPlayingCount: 0, havePlayedCount: 0 } : null,
    alternateTitleIds: decorations.has('alternatetitleid') ? [] : null,
    contentBoards: null,
    xboxLiveTier: 'Full',
  };
}

/** `progressState` and the requirement's `current` from the user's progress (none: not started). */
export function modernAchievement(
  d: XboxTitleDefinition,
  a: XboxAchievementDefinition,
  progress: XboxTitleProgress | undefined,
  withRarity: boolean,
): Record<string, unknown> {
  const k = a.id - 1;
  const unlockedAt = progress?.unlockTimes[k] ?? 0;
  const current = progress?.current[k] ?? 0;
  const progressState = unlockedAt > 0 ? 'Achieved' : current > 0 ? 'InProgress' : 'NotStarted';
  return {
    id: String(a.id),
    serviceConfigId: d.serviceConfigId,
    name: a.name,
    titleAssociations: [{ name: d.name, id: d.titleId }],
    progressState,
    progression: {
      requirements: [
        {
          id: a.requirementId,
          current: current > 0 ? String(current) : null,
          target: String(a.target),
          operationType: 'Sum',
          valueType: 'Integer',
          ruleParticipationType: 'Individual',
        },
      ],
      timeUnlocked: unlockedAt > 0 ? xboxInstant(unlockedAt) : XBOX_LOCKED_TIME,
    },
    mediaAssets: [{ name: a.iconName, type: 'Icon', url: a.iconUrl }],
    platforms: ['Durango'],
    isSecret: a.isSecret,
    description: a.description,
    lockedDescription: a.lockedDescription,
    productId: d.productId,
    achievementType: 'Persistent',
    participationType: 'Individual',
    timeWindow: null,
    rewards: a.gamerscore > 0 ? [{ name: null, description: null, value: String(a.gamerscore), type: 'Gamerscore', mediaAsset: null, valueType: 'Int' }] : [],
    estimatedTime: '00:00:00',
    deeplink: null,
    isRevoked: false,
    ...(withRarity ? { rarity: rarityOf(a) } : {}),
  };
}

const rarityOf = (a: XboxAchievementDefinition) => ({ currentCategory: a.rarityPercent <= 10 ? 'Rare' : 'Common', currentPercentage: a.rarityPercent });

/**
 * An Xbox 360 achievement (contract 1). `earnedAt` (epoch ms) for `/achievements` rows; `/titleachievements`
 * rows pass undefined and get `unlocked: false` with the placeholder time, as Xbox answers even for earned ones.
 */
export function legacyAchievement(d: XboxTitleDefinition, a: XboxAchievementDefinition, earnedAt: number | undefined, withRarity: boolean): Record<string, unknown> {
  const unlocked = earnedAt !== undefined;
  return {
    id: a.id,
    titleId: d.titleId,
    name: a.name,
    sequence: 0,
    flags: unlocked ? 3342345 : 9,
    unlockedOnline: unlocked,
    unlocked,
    isSecret: a.isSecret,
    platform: unlocked ? 15 : 255,
    gamerscore: a.gamerscore,
    imageId: a.imageId,
    description: a.description,
    lockedDescription: a.lockedDescription,
    type: 1,
    isRevoked: false,
    timeUnlocked: unlocked ? xboxInstant(earnedAt) : XBOX_360_PLACEHOLDER_TIME,
    ...(withRarity ? { rarity: rarityOf(a) } : {}),
  };
}

export const legacyAchievementsPage = (achievements: unknown[], token: string | null, total: number) => ({
  achievements,
  pagingInfo: pagingInfo(token, total),
  version: LEGACY_ACHIEVEMENTS_VERSION,
});

/** `/history/titles`, contract 2: titleId a NUMBER; modern titles with at least one unlock. */
export function historyTitleV2(owned: XboxOwnedTitle): Record<string, unknown> {
  const d = owned.definition;
  return {
    lastUnlock: xboxInstant(owned.lastUnlock),
    titleId: d.titleId,
    serviceConfigId: d.serviceConfigId,
    titleType: 'DGame',
    platform: 'Durango',
    name: d.name,
    earnedAchievements: owned.earnedCount,
    currentGamerscore: owned.currentGamerscore,
    maxGamerscore: d.totalGamerscore,
  };
}

/** `/history/titles`, contract 1: the 360 titles, numeric title type and platforms. */
export function historyTitleV1(owned: XboxOwnedTitle, sequence: number): Record<string, unknown> {
  const d = owned.definition;
  return {
    lastPlayed: xboxInstant(owned.progress.lastPlayed),
    currentAchievements: owned.earnedCount,
    currentGamerscore: owned.currentGamerscore,
    sequence,
    titleId: d.titleId,
    titleType: 1,
    platforms: [1],
    name: d.name,
    totalAchievements: d.achievementCount,
    totalGamerscore: d.totalGamerscore,
  };
}
