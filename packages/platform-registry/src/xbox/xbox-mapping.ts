import {
  isXboxLockedTime,
  xboxAchievementGamerscore,
  type XboxAchievementV1,
  type XboxAchievementV2,
  type XboxTitlehubTitle,
} from '@ach/platform-clients';
import type { AchievementDefinition, TitleSummary, UserUnlock } from '@ach/sync-engine';

type PlatformProgress = NonNullable<TitleSummary['progress']>;

/**
 * Xbox Live → the engine's row shapes. Pure functions, no I/O: the adapter (`xbox-adapter.ts`)
 * fetches with `@ach/platform-clients` and hands the parsed answers here.
 *
 * Facts these rely on (platform-fixtures/xbox, README "Xbox Live"):
 * - titlehub's `titleId` is a decimal string: it is `platform_game_id` as is.
 * - Earned is `progressState: "Achieved"` (v2); `timeUnlocked` `0001-01-01T00:00:00…` is "no date".
 * - v2 gamerscore is a string inside `rewards`; 360 (contract 1) `gamerscore` is an integer and the earned
 *   state comes from `/achievements` (its `unlocked` flag), never from `/titleachievements`.
 * - titlehub's `achievement.totalAchievements` is unreliable (0 beside 22 earned): the total is the
 *   number of definitions; gamerscore and percentage are Xbox's own.
 */

/** 1: Xbox 360 achievements (contract 1 endpoints, or 3 with rarity); 2: Xbox One/Series (contract 2, or 4 with rarity). */
export type XboxContract = 1 | 2;

export type XboxTitleAchievementsInput =
  | { contract: 2 | 4; achievements: readonly XboxAchievementV2[] }
  | { contract: 1 | 3; definitions: readonly XboxAchievementV1[]; earned: readonly XboxAchievementV1[] };

/** Game-level facts (the same for every user): `games.platform_specific_data`. */
export interface XboxGameData {
  [key: string]: unknown;
  contract: XboxContract;
  devices: string[];
  serviceConfigId: string | null;
  totalGamerscore: number | null;
  modernTitleId: string | null;
  pfn: string | null;
  mediaItemType: string | null;
}

export interface XboxGameRow {
  platformGameId: string;
  name: string;
  iconUrl: string | null;
  achievementsTotal: number;
  platformSpecificData: XboxGameData;
}

/** The user's standing in the title, Xbox's own figures (not recomputed from our rows). */
export interface XboxTitleProgress {
  gamerscore: number;
  totalGamerscore: number | null;
  /** Xbox's `progressPercentage` (0–100), null when titlehub gave no achievement decoration. */
  percentage: number | null;
  achievementsEarned: number;
  lastPlayedAt: Date | null;
  lastUnlockAt: Date | null;
  changeMarker: string;
}

export interface XboxMappedTitle {
  summary: TitleSummary;
  game: XboxGameRow;
  achievements: AchievementDefinition[];
  unlocks: UserUnlock[];
  progress: XboxTitleProgress;
}

const MODERN_DEVICES = new Set(['XboxOne', 'XboxSeries', 'PC', 'Win32', 'Mobile']);

/**
 * Which achievement system a title uses: titlehub's `achievement.sourceVersion` says it (1 = Xbox 360,
 * 2 = Xbox One/Series); without it, a title played only on Xbox 360 is a 360 title.
 */
export function xboxContractOf(title: XboxTitlehubTitle): XboxContract {
  const source = title.achievement?.sourceVersion;
  if (source === 1) return 1;
  if (source === 2) return 2;
  return title.devices.includes('Xbox360') && !title.devices.some((d) => MODERN_DEVICES.has(d)) ? 1 : 2;
}

/** An Xbox instant as a Date; the locked sentinel (`0001-01-01…`), an absent or an unreadable value is null. */
export function xboxDate(value: string | null | undefined): Date | null {
  if (isXboxLockedTime(value)) return null;
  const ms = Date.parse(value!);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/**
 * Moves whenever the user's progress in the title may have: earned count + gamerscore + the last unlock
 * (from `/history/titles`, when known) or else the last time played. Equal marker = nothing to fetch.
 */
export function xboxChangeMarker(title: XboxTitlehubTitle, lastUnlock?: string | null): string {
  const a = title.achievement;
  const when = xboxDate(lastUnlock) ?? xboxDate(title.titleHistory?.lastTimePlayed);
  return [a ? a.currentAchievements : '-', a ? a.currentGamerscore : '-', when ? when.toISOString() : '-'].join('|');
}

function gameData(title: XboxTitlehubTitle): XboxGameData {
  return {
    contract: xboxContractOf(title),
    devices: [...title.devices],
    serviceConfigId: title.serviceConfigId ?? null,
    totalGamerscore: title.achievement?.totalGamerscore ?? null,
    modernTitleId: title.modernTitleId ?? null,
    pfn: title.pfn ?? null,
    mediaItemType: title.mediaItemType ?? null,
  };
}

const titleIcon = (title: XboxTitlehubTitle): string | null =>
  title.displayImage || title.images?.find((i) => i.type === 'BoxArt')?.url || title.images?.[0]?.url || null;

/** The engine's title summary for one titlehub entry (`lastUnlock` from `/history/titles`, when fetched). */
export function xboxTitleSummary(title: XboxTitlehubTitle, lastUnlock?: string | null): TitleSummary {
  const progress = xboxPlatformProgress(title, lastUnlock);
  return {
    platformGameId: title.titleId,
    name: title.name,
    iconUrl: titleIcon(title),
    changeMarker: xboxChangeMarker(title, lastUnlock),
    lastPlayedAt: xboxDate(title.titleHistory?.lastTimePlayed),
    playtimeMinutes: null,
    gameData: gameData(title),
    ...(progress ? { progress } : {}),
  };
}

const clampPercent = (value: number | undefined): number | null =>
  value === undefined || !Number.isFinite(value) ? null : Math.min(100, Math.max(0, value));

/**
 * `user_progress` in Xbox's own figures: gamerscore earned / total and `progressPercentage` (Xbox weighs
 * completion by gamerscore, not by count). Undefined without the achievement decoration: the engine then
 * computes them from the stored rows. `data` keeps what the marker is made of, for support.
 */
export function xboxPlatformProgress(title: XboxTitlehubTitle, lastUnlock?: string | null): PlatformProgress | undefined {
  const a = title.achievement;
  if (!a) return undefined;
  const lastUnlockAt = xboxDate(lastUnlock);
  return {
    pointsEarned: a.currentGamerscore,
    pointsTotal: a.totalGamerscore,
    completionPercentage: clampPercent(a.progressPercentage),
    data: { xboxAchievementsEarned: a.currentAchievements, ...(lastUnlockAt ? { lastUnlockAt: lastUnlockAt.toISOString() } : {}) },
  };
}

/** The text that tells how to earn it (stable for every user); both texts stay in platformData. */
const descriptionOf = (a: { description: string; lockedDescription: string }): string | null => a.lockedDescription || a.description || null;

/** Xbox One/Series achievements (contract 2, or 4 with rarity): definitions and the user's unlocks. */
export function mapXboxModernAchievements(list: readonly XboxAchievementV2[]): { achievements: AchievementDefinition[]; unlocks: UserUnlock[] } {
  const achievements: AchievementDefinition[] = [];
  const unlocks: UserUnlock[] = [];
  for (const a of list) {
    achievements.push({
      platformAchievementId: a.id,
      name: a.name,
      description: descriptionOf(a),
      iconUrl: a.mediaAssets.find((m) => m.type === 'Icon')?.url ?? a.mediaAssets[0]?.url ?? null,
      iconLockedUrl: null,
      hidden: a.isSecret,
      points: xboxAchievementGamerscore(a),
      type: a.achievementType || null,
      rarityPercentage: clampPercent(a.rarity?.currentPercentage),
      platformData: {
        serviceConfigId: a.serviceConfigId,
        unlockedDescription: a.description,
        lockedDescription: a.lockedDescription,
        ...(a.participationType ? { participationType: a.participationType } : {}),
        ...(a.rarity ? { rarityCategory: a.rarity.currentCategory } : {}),
      },
    });
    if (a.progressState === 'Achieved') unlocks.push({ platformAchievementId: a.id, earnedAt: xboxDate(a.progression.timeUnlocked) });
  }
  return { achievements, unlocks };
}

/** Xbox 360 images live on the legacy image host, addressed by hex title and image ids. */
export function xbox360AchievementIconUrl(titleId: number, imageId: number | undefined): string | null {
  if (imageId === undefined) return null;
  return `http://image.xboxlive.com/global/t.${titleId.toString(16).toUpperCase()}/ach/0/${imageId.toString(16).toUpperCase()}`;
}

function x360Definition(a: XboxAchievementV1): AchievementDefinition {
  return {
    platformAchievementId: String(a.id),
    name: a.name,
    description: descriptionOf(a),
    iconUrl: xbox360AchievementIconUrl(a.titleId, a.imageId),
    iconLockedUrl: null,
    hidden: a.isSecret,
    points: a.gamerscore,
    type: null,
    rarityPercentage: clampPercent(a.rarity?.currentPercentage),
    platformData: {
      unlockedDescription: a.description,
      lockedDescription: a.lockedDescription,
      ...(a.imageId === undefined ? {} : { imageId: a.imageId }),
      ...(a.rarity ? { rarityCategory: a.rarity.currentCategory } : {}),
    },
  };
}

/**
 * Xbox 360 achievements (contract 1): definitions from `/titleachievements`, earned state from
 * `/achievements`. An earned achievement the definitions lack (a list cut short) is still defined.
 */
export function mapXbox360Achievements(
  definitions: readonly XboxAchievementV1[],
  earned: readonly XboxAchievementV1[],
): { achievements: AchievementDefinition[]; unlocks: UserUnlock[] } {
  const byId = new Map<number, XboxAchievementV1>();
  for (const a of definitions) if (!byId.has(a.id)) byId.set(a.id, a);
  const unlocks: UserUnlock[] = [];
  const seen = new Set<number>();
  for (const a of earned) {
    if (!(a.unlocked || a.unlockedOnline === true) || seen.has(a.id)) continue;
    seen.add(a.id);
    if (!byId.has(a.id)) byId.set(a.id, a);
    unlocks.push({ platformAchievementId: String(a.id), earnedAt: xboxDate(a.timeUnlocked) });
  }
  return { achievements: [...byId.values()].map(x360Definition), unlocks };
}

/** One title, everything the sync writes for it: game row, definitions, the user's unlocks and progress. */
export function mapXboxTitle(input: { title: XboxTitlehubTitle; achievements: XboxTitleAchievementsInput; lastUnlock?: string | null }): XboxMappedTitle {
  const { title, lastUnlock, achievements: lists } = input;
  const legacy = lists.contract === 1 || lists.contract === 3;
  const mapped = 'definitions' in lists ? mapXbox360Achievements(lists.definitions, lists.earned) : mapXboxModernAchievements(lists.achievements);
  const data: XboxGameData = { ...gameData(title), contract: legacy ? 1 : 2 };
  const summary: TitleSummary = { ...xboxTitleSummary(title, lastUnlock), gameData: data };
  const points = new Map(mapped.achievements.map((a) => [a.platformAchievementId, a.points ?? 0]));
  const earnedPoints = mapped.unlocks.reduce((sum, u) => sum + (points.get(u.platformAchievementId) ?? 0), 0);
  const latestUnlock = mapped.unlocks.reduce<Date | null>((latest, u) => (u.earnedAt && (!latest || u.earnedAt > latest) ? u.earnedAt : latest), null);
  return {
    summary,
    game: {
      platformGameId: title.titleId,
      name: title.name,
      iconUrl: summary.iconUrl,
      achievementsTotal: mapped.achievements.length,
      platformSpecificData: data,
    },
    achievements: mapped.achievements,
    unlocks: mapped.unlocks,
    progress: {
      gamerscore: title.achievement?.currentGamerscore ?? earnedPoints,
      totalGamerscore: title.achievement?.totalGamerscore ?? null,
      percentage: title.achievement ? clampPercent(title.achievement.progressPercentage) : null,
      achievementsEarned: mapped.unlocks.length,
      lastPlayedAt: summary.lastPlayedAt,
      lastUnlockAt: xboxDate(lastUnlock) ?? latestUnlock,
      changeMarker: summary.changeMarker,
    },
  };
}
