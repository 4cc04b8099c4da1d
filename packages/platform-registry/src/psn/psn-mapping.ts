import type {
  PsnTitleTrophies,
  PsnTitleTrophyGroups,
  PsnTrophyCounts,
  PsnTrophyTitle,
  PsnTrophyType,
  PsnUserTrophies,
  PsnUserTrophyGroups,
} from '@ach/platform-clients';
import type { AchievementDefinition, AchievementRarity, TitleSummary, UserUnlock } from '@ach/sync-engine';

/**
 * PSN's trophy answers → the rows the sync engine writes, as pure functions (no I/O). The shapes are the
 * engine's own (`TitleSummary`, `AchievementDefinition`, `UserUnlock`), so the adapter only has to call
 * the client and these. What PSN says is kept as PSN says it: `progress` is PSN's own completion figure
 * (points-weighted, platinum excluded — never the share of trophies earned) and the counts by trophy type
 * are the title list's.
 */

/**
 * Points per trophy grade: the values PSN's trophy level counts (bronze 15, silver 30, gold 90, platinum
 * 300). PSN has no gamerscore; these are its nearest real equivalent, so `points` is filled with them.
 */
export const PSN_TROPHY_POINTS: Readonly<Record<PsnTrophyType, number>> = { bronze: 15, silver: 30, gold: 90, platinum: 300 };

const TROPHY_TYPES: readonly PsnTrophyType[] = ['bronze', 'silver', 'gold', 'platinum'];

export interface PsnGameGroup {
  /** `default` (the base game) or a DLC group `001`, `002`, … */
  id: string;
  /** Null when only the trophy lists were read (they carry group ids, not names). */
  name: string | null;
  iconUrl: string | null;
  definedTrophies: PsnTrophyCounts;
}

/** The part of `games.platform_specific_data` the title list gives (every sync of the title). */
export interface PsnTitleGameData extends Record<string, unknown> {
  npServiceName: 'trophy' | 'trophy2';
  /** `trophyTitlePlatform` as PSN writes it: `PS5`, `PS4`, `PS5,PSPC`, `PS3,PSVITA`, … */
  platform: string | null;
  trophySetVersion: string | null;
  definedTrophies: PsnTrophyCounts;
}

/**
 * `games.platform_specific_data`: facts about the trophy set, the same for every user. `groups` comes
 * with the definitions (the adapter's `GameMetadata.gameData`) and stays while they are cached.
 */
export interface PsnGameData extends PsnTitleGameData {
  groups: PsnGameGroup[];
}

export interface PsnGameRow {
  /** npCommunicationId, e.g. `NPWR08964_00`. */
  platformGameId: string;
  name: string;
  iconUrl: string | null;
  achievementsTotal: number;
  platformSpecificData: PsnGameData;
}

/** `user_progress` for one title: PSN's own numbers, none recomputed. */
export interface PsnProgressRow {
  /** PSN's `progress` (0–100). */
  progress: number;
  earnedTrophies: PsnTrophyCounts;
  definedTrophies: PsnTrophyCounts;
  earnedCount: number;
  definedCount: number;
  /** Sums of `PSN_TROPHY_POINTS` over the counts. */
  pointsEarned: number;
  pointsTotal: number;
  /** `lastUpdatedDateTime`: the latest trophy earned (or the first sync of a title with none). */
  lastUpdatedAt: Date;
  /** Per group, when the user's group summary was read. */
  groups?: { id: string; progress: number; earnedTrophies: PsnTrophyCounts; lastUpdatedAt: Date | null }[];
}

export interface PsnTitleInput {
  /** The title list entry (`trophyTitles[]`). */
  title: PsnTrophyTitle;
  /** Definitions, all groups (`trophyGroupId=all`). */
  titleTrophies: PsnTitleTrophies;
  /** The user's earned state, all groups: also the only source of `trophyEarnedRate`. */
  userTrophies: PsnUserTrophies;
  /** Group names and icons (`…/trophyGroups`); without it groups carry ids and counts only. */
  titleGroups?: PsnTitleTrophyGroups;
  userGroups?: PsnUserTrophyGroups;
}

export interface PsnTitleRows {
  game: PsnGameRow;
  achievements: AchievementDefinition[];
  /** Earned trophies only. */
  unlocks: UserUnlock[];
  progress: PsnProgressRow;
  /** Earned-state entries without a definition (left out: their row would have nothing to point at). */
  unmatchedTrophyIds: number[];
}

const total = (counts: PsnTrophyCounts) => TROPHY_TYPES.reduce((sum, type) => sum + counts[type], 0);
const points = (counts: PsnTrophyCounts) => TROPHY_TYPES.reduce((sum, type) => sum + counts[type] * PSN_TROPHY_POINTS[type], 0);
const countsCopy = (counts: PsnTrophyCounts): PsnTrophyCounts => ({ bronze: counts.bronze, silver: counts.silver, gold: counts.gold, platinum: counts.platinum });
const instant = (value: string | undefined): Date | null => (value === undefined ? null : new Date(value));

/** `"1.6"` → 1.6; anything PSN did not send (or not a finite 0–100) → null. */
export function psnEarnedRate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : null;
}

/**
 * Groups from the groups call when there is one, else from the `trophyGroupId`s of the definitions.
 * `title`: a set without DLC (`hasTrophyGroups: false`) has only `default`, which PSN names and pictures
 * exactly as the title — so the adapter skips the groups call for it and names it from the list.
 */
export function psnGameGroups(titleTrophies: PsnTitleTrophies | undefined, titleGroups?: PsnTitleTrophyGroups, title?: PsnTrophyTitle): PsnGameGroup[] {
  if (titleGroups) {
    return titleGroups.trophyGroups.map((g) => ({ id: g.trophyGroupId, name: g.trophyGroupName, iconUrl: g.trophyGroupIconUrl ?? null, definedTrophies: countsCopy(g.definedTrophies) }));
  }
  const byId = new Map<string, PsnTrophyCounts>();
  for (const trophy of titleTrophies?.trophies ?? []) {
    const id = trophy.trophyGroupId ?? 'default';
    let counts = byId.get(id);
    if (!counts) byId.set(id, (counts = { bronze: 0, silver: 0, gold: 0, platinum: 0 }));
    counts[trophy.trophyType]++;
  }
  return [...byId].map(([id, definedTrophies]) =>
    id === 'default' && title && !title.hasTrophyGroups
      ? { id, name: title.trophyTitleName, iconUrl: title.trophyTitleIconUrl ?? null, definedTrophies }
      : { id, name: null, iconUrl: null, definedTrophies },
  );
}

export function psnTitleGameData(title: PsnTrophyTitle): PsnTitleGameData {
  return {
    npServiceName: title.npServiceName,
    platform: title.trophyTitlePlatform ?? null,
    trophySetVersion: title.trophySetVersion ?? null,
    definedTrophies: countsCopy(title.definedTrophies),
  };
}

export function psnGameData(title: PsnTrophyTitle, groups: PsnGameGroup[] = []): PsnGameData {
  return { ...psnTitleGameData(title), groups };
}

/** The change marker: moves when a trophy is earned, the set changes, or (defensively) the counts move. */
export const psnChangeMarker = (title: PsnTrophyTitle) =>
  `${title.lastUpdatedDateTime}|${title.trophySetVersion ?? '-'}|${total(title.earnedTrophies)}/${total(title.definedTrophies)}`;

/**
 * The engine's title for the list step. The change marker moves when a trophy is earned
 * (`lastUpdatedDateTime`), when the set changes (a DLC bumps `trophySetVersion` and the defined counts) and,
 * defensively, when the earned counts move without a new date. `progress` is PSN's own (→ user_progress);
 * `definedAchievements` lets the engine notice cached definitions a DLC made incomplete.
 */
export function psnTitleSummary(title: PsnTrophyTitle): TitleSummary {
  const progress = psnProgressRow(title);
  return {
    platformGameId: title.npCommunicationId,
    name: title.trophyTitleName,
    iconUrl: title.trophyTitleIconUrl ?? null,
    changeMarker: psnChangeMarker(title),
    // PSN has no last-played time in the trophy API; the latest trophy activity is the closest it says.
    lastPlayedAt: new Date(title.lastUpdatedDateTime),
    playtimeMinutes: null,
    gameData: psnTitleGameData(title),
    definedAchievements: progress.definedCount,
    progress: {
      completionPercentage: progress.progress,
      pointsEarned: progress.pointsEarned,
      pointsTotal: progress.pointsTotal,
      data: {
        earnedTrophies: progress.earnedTrophies,
        definedTrophies: progress.definedTrophies,
        earnedCount: progress.earnedCount,
        definedCount: progress.definedCount,
      },
    },
  };
}

export function psnGameRow(title: PsnTrophyTitle, titleTrophies: PsnTitleTrophies, titleGroups?: PsnTitleTrophyGroups): PsnGameRow {
  return {
    platformGameId: title.npCommunicationId,
    name: title.trophyTitleName,
    iconUrl: title.trophyTitleIconUrl ?? null,
    achievementsTotal: titleTrophies.trophies.length,
    platformSpecificData: psnGameData(title, psnGameGroups(titleTrophies, titleGroups)),
  };
}

/**
 * Definitions joined with the user call on `trophyId` for rarity. Without the user call (`userTrophies`
 * undefined) rarity is null: PSN gives `trophyEarnedRate` nowhere else — the adapter hands it to the
 * engine with the unlocks (`psnRarity`), one user call per title for both.
 */
export function psnAchievements(titleTrophies: PsnTitleTrophies, userTrophies?: PsnUserTrophies): AchievementDefinition[] {
  const earnedState = new Map((userTrophies?.trophies ?? []).map((t) => [t.trophyId, t]));
  return titleTrophies.trophies.map((trophy) => {
    const state = earnedState.get(trophy.trophyId);
    const target = trophy.trophyProgressTargetValue === undefined ? undefined : Number(trophy.trophyProgressTargetValue);
    return {
      platformAchievementId: String(trophy.trophyId),
      // PSN names every trophy, hidden ones included; the fallback only guards a blank answer.
      name: trophy.trophyName ?? `Trophy ${trophy.trophyId}`,
      description: trophy.trophyDetail ?? null,
      iconUrl: trophy.trophyIconUrl ?? null,
      iconLockedUrl: null,
      hidden: trophy.trophyHidden,
      points: PSN_TROPHY_POINTS[trophy.trophyType],
      type: trophy.trophyType,
      rarityPercentage: psnEarnedRate(state?.trophyEarnedRate),
      platformData: {
        groupId: trophy.trophyGroupId ?? 'default',
        ...(target !== undefined && Number.isFinite(target) ? { progressTarget: target } : {}),
        ...(trophy.trophyRewardName === undefined ? {} : { rewardName: trophy.trophyRewardName, rewardImageUrl: trophy.trophyRewardImageUrl ?? null }),
      },
    };
  });
}

/** Every trophy's `trophyEarnedRate` from the user call (the only place PSN gives it). */
export function psnRarity(userTrophies: PsnUserTrophies): AchievementRarity[] {
  return userTrophies.trophies.map((t) => ({ platformAchievementId: String(t.trophyId), rarityPercentage: psnEarnedRate(t.trophyEarnedRate) }));
}

/**
 * The earned trophies as the user call lists them, with their date. Whether each has a definition is
 * the engine's check (an unknown one makes it refresh the definitions), so none is dropped here.
 */
export function psnEarnedUnlocks(userTrophies: PsnUserTrophies): UserUnlock[] {
  return userTrophies.trophies.filter((t) => t.earned).map((t) => ({ platformAchievementId: String(t.trophyId), earnedAt: instant(t.earnedDateTime) }));
}

/** The earned trophies that have a definition, with their date; the others are reported, not written. */
export function psnUnlocks(titleTrophies: PsnTitleTrophies, userTrophies: PsnUserTrophies): { unlocks: UserUnlock[]; unmatchedTrophyIds: number[] } {
  const defined = new Set(titleTrophies.trophies.map((t) => t.trophyId));
  const unlocks: UserUnlock[] = [];
  const unmatchedTrophyIds: number[] = [];
  for (const trophy of userTrophies.trophies) {
    if (!trophy.earned) continue;
    if (!defined.has(trophy.trophyId)) {
      unmatchedTrophyIds.push(trophy.trophyId);
      continue;
    }
    unlocks.push({ platformAchievementId: String(trophy.trophyId), earnedAt: instant(trophy.earnedDateTime) });
  }
  return { unlocks, unmatchedTrophyIds };
}

/** PSN's own progress and counts from the title list (and per group from the user's group summary). */
export function psnProgressRow(title: PsnTrophyTitle, userGroups?: PsnUserTrophyGroups): PsnProgressRow {
  return {
    progress: title.progress,
    earnedTrophies: countsCopy(title.earnedTrophies),
    definedTrophies: countsCopy(title.definedTrophies),
    earnedCount: total(title.earnedTrophies),
    definedCount: total(title.definedTrophies),
    pointsEarned: points(title.earnedTrophies),
    pointsTotal: points(title.definedTrophies),
    lastUpdatedAt: new Date(title.lastUpdatedDateTime),
    ...(userGroups
      ? {
          groups: userGroups.trophyGroups.map((g) => ({
            id: g.trophyGroupId,
            progress: g.progress,
            earnedTrophies: countsCopy(g.earnedTrophies),
            lastUpdatedAt: instant(g.lastUpdatedDateTime),
          })),
        }
      : {}),
  };
}

/** Everything one title contributes, from the answers of one sync of it. */
export function mapPsnTitle(input: PsnTitleInput): PsnTitleRows {
  const { unlocks, unmatchedTrophyIds } = psnUnlocks(input.titleTrophies, input.userTrophies);
  return {
    game: psnGameRow(input.title, input.titleTrophies, input.titleGroups),
    achievements: psnAchievements(input.titleTrophies, input.userTrophies),
    unlocks,
    progress: psnProgressRow(input.title, input.userGroups),
    unmatchedTrophyIds,
  };
}
