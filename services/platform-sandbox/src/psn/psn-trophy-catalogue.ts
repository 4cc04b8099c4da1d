import { seededRandom, type SeededRandom } from '../synthetic/seeded-random.ts';
import { achievementDescription, achievementTitle, gameTitle } from '../synthetic/synthetic-names.ts';

/**
 * The sandbox's global PSN trophy catalogue. A trophy set (generation, platform, groups, trophies, their
 * global earned rates) is a pure function of its npCommunicationId, so the title endpoints — which carry no
 * account — answer the same for everyone, and nothing needs storing.
 *
 * Ids are `NPWR00001_00` … `NPWR99999_00`. Titles come in blocks of 20 whose trophy counts are one fixed
 * multiset (12 … 52, 500 in all) in a seeded order: any block-aligned run of N titles (N a multiple of 20)
 * holds exactly 25·N trophies, so a benchmark asks for 2,000 titles and gets exactly 50,000 trophies.
 */

export type PsnServiceName = 'trophy' | 'trophy2';
export type PsnTrophyType = 'bronze' | 'silver' | 'gold' | 'platinum';
export type PsnTrophyCounts = Record<PsnTrophyType, number>;

export const PSN_CATALOGUE_SIZE = 99_999;
export const TITLES_PER_BLOCK = 20;
export const MEAN_TROPHIES_PER_TITLE = 25;
/** Sums to 500 = 20 × 25. */
const BLOCK_TROPHY_COUNTS = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25, 27, 29, 32, 36, 41, 47, 52] as const;
/** Fixed instant (2025-01-01T00:00:00Z): generated dates lie before it, so they are the same in every run. */
export const PSN_LIBRARY_EPOCH_S = 1_735_689_600;

/**
 * PSN's own completion figure, reverse-engineered from the recorded title lists (it reproduces `progress` for
 * all 100 recorded titles and the recorded trophy groups): trophy points 15/30/90 for bronze/silver/gold,
 * platinum left out, rounded down. Not the share of trophies earned.
 */
export const PSN_PROGRESS_WEIGHTS: PsnTrophyCounts = { bronze: 15, silver: 30, gold: 90, platinum: 0 };

export function psnProgress(earned: PsnTrophyCounts, defined: PsnTrophyCounts): number {
  const points = (c: PsnTrophyCounts) => c.bronze * 15 + c.silver * 30 + c.gold * 90;
  const total = points(defined);
  return total === 0 ? 0 : Math.floor((100 * points(earned)) / total);
}

/** PSN's rarity tiers over `trophyEarnedRate`: 0 ultra rare (≤ 5 %), 1 very rare (≤ 15 %), 2 rare (≤ 50 %), 3 common. */
export function psnTrophyRare(earnedRate: number): 0 | 1 | 2 | 3 {
  if (earnedRate <= 5) return 0;
  if (earnedRate <= 15) return 1;
  if (earnedRate <= 50) return 2;
  return 3;
}

export const emptyCounts = (): PsnTrophyCounts => ({ bronze: 0, silver: 0, gold: 0, platinum: 0 });

export interface PsnTrophyDefinition {
  trophyId: number;
  groupId: string;
  type: PsnTrophyType;
  hidden: boolean;
  /** PS5 progress trophies: the target (`trophyProgressTargetValue`, a string on the wire). */
  progressTarget: number | undefined;
  /** PS5 only, rare: `trophyRewardName` / `trophyRewardImageUrl`. */
  hasReward: boolean;
  /** One decimal, as PSN writes it (`"1.6"`). */
  earnedRate: string;
  rare: 0 | 1 | 2 | 3;
}

export interface PsnTrophyText {
  name: string;
  detail: string;
  iconUrl: string;
  rewardName: string | undefined;
  rewardImageUrl: string | undefined;
}

export interface PsnTrophyGroupDefinition {
  id: string;
  name: string;
  /** Only `trophy` (PS3/PS4/Vita) sets carry details, like `trophyTitleDetail` (sandbox's choice for groups). */
  detail: string | undefined;
  iconUrl: string;
  trophyIds: number[];
  defined: PsnTrophyCounts;
}

export interface PsnTitleDefinition {
  npCommunicationId: string;
  index: number;
  npServiceName: PsnServiceName;
  /** `PS5`, `PS5,PSPC`, `PS4`, `PS3`, `PSVITA`, `PS4,PSVITA`, … */
  platform: string;
  name: string;
  /** `trophyTitleDetail`: `trophy` sets only. */
  detail: string | undefined;
  iconUrl: string;
  trophySetVersion: string;
  trophies: PsnTrophyDefinition[];
  defined: PsnTrophyCounts;
  /** `default` first, then `001`, `002`, …; built on first read. */
  readonly groups: PsnTrophyGroupDefinition[];
  /** Names, details, icons: built on first read (a 2,000-title listing never needs them). */
  readonly texts: PsnTrophyText[];
}

export function npCommunicationIdFor(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > PSN_CATALOGUE_SIZE) throw new RangeError(`catalogue index ${index} out of range`);
  return `NPWR${String(index).padStart(5, '0')}_00`;
}

export function catalogueIndexOf(npCommunicationId: string): number | undefined {
  const match = /^NPWR(\d{5})_00$/.exec(npCommunicationId);
  if (!match) return undefined;
  const index = Number(match[1]);
  return index >= 1 && index <= PSN_CATALOGUE_SIZE ? index : undefined;
}

/** Trophy count of catalogue title `index`: its block's fixed multiset, in the block's seeded order. */
export function trophyCountOf(index: number): number {
  const block = Math.floor((index - 1) / TITLES_PER_BLOCK);
  const order = shuffled(BLOCK_TROPHY_COUNTS.length, seededRandom(`psn-block:${block}`));
  return BLOCK_TROPHY_COUNTS[order[(index - 1) % TITLES_PER_BLOCK]!]!;
}

export interface PsnTrophyCatalogue {
  title(npCommunicationId: string): PsnTitleDefinition | undefined;
}

/** Definitions are built on first use and cached: every account that owns a title shares one. */
export function createPsnTrophyCatalogue(): PsnTrophyCatalogue {
  const cache = new Map<string, PsnTitleDefinition>();
  return {
    title(npCommunicationId) {
      const cached = cache.get(npCommunicationId);
      if (cached) return cached;
      const index = catalogueIndexOf(npCommunicationId);
      if (index === undefined) return undefined;
      const definition = buildTitle(index);
      cache.set(npCommunicationId, definition);
      return definition;
    },
  };
}

function shuffled(length: number, rng: SeededRandom): number[] {
  const order = Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

const PS4_ERA_PLATFORMS = ['PS4', 'PS4', 'PS4', 'PS4', 'PS4', 'PS4', 'PS4', 'PS3', 'PSVITA', 'PS4,PSVITA', 'PS3,PSVITA'] as const;

const upperHex = (rng: SeededRandom, length: number) => rng.hex(length).toUpperCase();
const uuid = (rng: SeededRandom) => {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
};

function buildTitle(index: number): PsnTitleDefinition {
  const npCommunicationId = npCommunicationIdFor(index);
  const rng = seededRandom(`psn-title:${npCommunicationId}`);
  const npServiceName: PsnServiceName = rng.chance(0.45) ? 'trophy2' : 'trophy';
  const platform = npServiceName === 'trophy2' ? (rng.chance(0.1) ? 'PS5,PSPC' : 'PS5') : rng.pick(PS4_ERA_PLATFORMS);
  const name = gameTitle(rng);
  const count = trophyCountOf(index);
  const hasPlatinum = count >= 14 && rng.chance(0.85);
  // DLC: 0–3 groups of 3–6 trophies, leaving the base game at least 10.
  const dlcSizes: number[] = [];
  if (count >= 22 && rng.chance(0.4)) {
    let left = count - 10;
    for (let g = 0, n = rng.int(1, 3); g < n && left >= 3; g++) {
      const size = Math.min(left, rng.int(3, 6));
      dlcSizes.push(size);
      left -= size;
    }
  }
  const baseSize = count - dlcSizes.reduce((a, b) => a + b, 0);
  const groupOf: string[] = [];
  for (let i = 0; i < baseSize; i++) groupOf.push('default');
  dlcSizes.forEach((size, g) => {
    for (let i = 0; i < size; i++) groupOf.push(String(g + 1).padStart(3, '0'));
  });

  const trophies: PsnTrophyDefinition[] = [];
  const defined = emptyCounts();
  for (let trophyId = 0; trophyId < count; trophyId++) {
    const platinum = hasPlatinum && trophyId === 0;
    const roll = rng.next();
    const type: PsnTrophyType = platinum ? 'platinum' : roll < 0.07 ? 'gold' : roll < 0.27 ? 'silver' : 'bronze';
    // Later trophies and better grades are rarer; the platinum is the rarest.
    const base = platinum ? 0.5 + rng.next() * 8 : 90 * Math.pow(1 - trophyId / count, 1.4) * (type === 'gold' ? 0.35 : type === 'silver' ? 0.7 : 1) + 0.3;
    const rate = Math.min(99.9, Math.max(0.1, base * (0.7 + rng.next() * 0.6)));
    const earnedRate = rate.toFixed(1);
    const progressTarget = npServiceName === 'trophy2' && !platinum && type !== 'gold' && rng.chance(0.1) ? rng.pick([5, 10, 20, 25, 50, 100, 250, 500]) : undefined;
    trophies.push({
      trophyId,
      groupId: groupOf[trophyId]!,
      type,
      hidden: !platinum && rng.chance(0.12),
      progressTarget,
      hasReward: npServiceName === 'trophy2' && !platinum && rng.chance(0.04),
      earnedRate,
      rare: psnTrophyRare(Number(earnedRate)),
    });
    defined[type]++;
  }

  const trophySetVersion = `01.${String(rng.int(0, 12)).padStart(2, '0')}`;
  const iconRng = seededRandom(`psn-icons:${npCommunicationId}`);
  const iconBase =
    npServiceName === 'trophy'
      ? `https://image.api.playstation.com/trophy/np/${npCommunicationId}_00${upperHex(iconRng, 40)}`
      : `https://psnobj.prod.dl.playstation.net/psnobj/${npCommunicationId}`;
  const iconUrl = (r: SeededRandom) => (npServiceName === 'trophy' ? `${iconBase}/${upperHex(r, 40)}.PNG` : `${iconBase}/${uuid(r)}.png`);
  const titleIcon = iconUrl(iconRng);
  let groups: PsnTrophyGroupDefinition[] | undefined;
  let texts: PsnTrophyText[] | undefined;

  return {
    npCommunicationId,
    index,
    npServiceName,
    platform,
    name,
    detail: npServiceName === 'trophy' ? (rng.chance(0.5) ? name : `${name} Trophy Set`) : undefined,
    iconUrl: titleIcon,
    trophySetVersion,
    trophies,
    defined,
    get groups() {
      return (groups ??= buildGroups(npCommunicationId, name, npServiceName, titleIcon, trophies, iconUrl));
    },
    get texts() {
      return (texts ??= buildTexts(npCommunicationId, name, trophies, iconUrl));
    },
  };
}

function buildGroups(
  npCommunicationId: string,
  titleName: string,
  npServiceName: PsnServiceName,
  titleIcon: string,
  trophies: PsnTrophyDefinition[],
  iconUrl: (rng: SeededRandom) => string,
): PsnTrophyGroupDefinition[] {
  const rng = seededRandom(`psn-groups:${npCommunicationId}`);
  const ids = [...new Set(trophies.map((t) => t.groupId))];
  return ids.map((id) => {
    const members = trophies.filter((t) => t.groupId === id);
    const defined = emptyCounts();
    for (const t of members) defined[t.type]++;
    const name = id === 'default' ? titleName : gameTitle(rng).split(':')[0]!;
    return {
      id,
      name,
      detail: npServiceName === 'trophy' ? name : undefined,
      iconUrl: id === 'default' ? titleIcon : iconUrl(rng),
      trophyIds: members.map((t) => t.trophyId),
      defined,
    };
  });
}

function buildTexts(npCommunicationId: string, titleName: string, trophies: PsnTrophyDefinition[], iconUrl: (rng: SeededRandom) => string): PsnTrophyText[] {
  const rng = seededRandom(`psn-texts:${npCommunicationId}`);
  return trophies.map((t, i) => {
    const platinum = t.type === 'platinum';
    return {
      name: platinum ? `${titleName.split(':')[0]} Platinum` : achievementTitle(rng, i),
      detail: platinum ? 'Earned all Trophies' : achievementDescription(rng),
      iconUrl: iconUrl(rng),
      rewardName: t.hasReward ? rng.pick(['Profile Avatar', 'Game Help', 'Theme']) : undefined,
      rewardImageUrl: t.hasReward ? iconUrl(rng) : undefined,
    };
  });
}
