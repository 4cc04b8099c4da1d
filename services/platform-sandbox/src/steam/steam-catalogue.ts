import { seededRandom } from '../synthetic/seeded-random.ts';
import { achievementDescription, achievementTitle, gameTitle } from '../synthetic/synthetic-names.ts';

/**
 * The sandbox's global Steam game catalogue. A game's definition (name, icon, whether it has stats, its
 * achievements, their global percentages) is a pure function of its appid, so every account that owns an
 * appid sees the same schema, and nothing needs storing.
 *
 * An appid encodes the catalogue "shelf" it comes from — the shape options accounts are created with
 * (achievements per game, hidden share, no-stats share) — and its index on that shelf. Accounts created with
 * the same shape own the same games from index 0 up: two default accounts with 30 and 45 games share 30.
 * The default shelf gives appids 10, 20, 30, ...
 */
export interface SteamCatalogueShape {
  achievementsPerGame: number;
  /** 0–1, quantised to whole percent. */
  hiddenRatio: number;
  /** 0–1, quantised to whole percent. */
  noStatsRatio: number;
}

export const DEFAULT_CATALOGUE_SHAPE: SteamCatalogueShape = { achievementsPerGame: 20, hiddenRatio: 0.1, noStatsRatio: 0.1 };
export const MAX_ACHIEVEMENTS_PER_GAME = 1000;
export const GAMES_PER_SHELF = 100_000;

export interface SteamAchievementDefinition {
  apiname: string;
  displayName: string;
  /** Undefined for some hidden achievements, as on Steam. */
  description: string | undefined;
  hidden: boolean;
  iconHash: string;
  iconGrayHash: string;
  /** 0–100. */
  globalPercent: number;
}

export interface SteamGameDefinition {
  appid: number;
  name: string;
  iconHash: string;
  hasStats: boolean;
  /** 0 when the game has no stats. */
  achievementCount: number;
  /** Built on first read: listing a 1,000-game library must not build 50,000 achievements. */
  readonly achievements: SteamAchievementDefinition[];
}

const toPercent = (ratio: number) => Math.round(Math.min(1, Math.max(0, ratio)) * 100);

export function normaliseShape(shape: SteamCatalogueShape): SteamCatalogueShape {
  return {
    achievementsPerGame: Math.min(MAX_ACHIEVEMENTS_PER_GAME, Math.max(0, Math.round(shape.achievementsPerGame))),
    hiddenRatio: toPercent(shape.hiddenRatio) / 100,
    noStatsRatio: toPercent(shape.noStatsRatio) / 100,
  };
}

const isDefaultShape = (s: SteamCatalogueShape) =>
  s.achievementsPerGame === DEFAULT_CATALOGUE_SHAPE.achievementsPerGame &&
  toPercent(s.hiddenRatio) === toPercent(DEFAULT_CATALOGUE_SHAPE.hiddenRatio) &&
  toPercent(s.noStatsRatio) === toPercent(DEFAULT_CATALOGUE_SHAPE.noStatsRatio);

function shelfNumber(shape: SteamCatalogueShape): number {
  const s = normaliseShape(shape);
  if (isDefaultShape(s)) return 0;
  return 1 + s.achievementsPerGame + (MAX_ACHIEVEMENTS_PER_GAME + 1) * (toPercent(s.hiddenRatio) + 101 * toPercent(s.noStatsRatio));
}

export function appIdFor(shape: SteamCatalogueShape, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= GAMES_PER_SHELF) throw new RangeError(`catalogue index ${index} out of range`);
  return 10 * (shelfNumber(shape) * GAMES_PER_SHELF + index + 1);
}

/** The shape and index an appid was minted from; undefined for appids the catalogue never issues. */
export function locateAppId(appid: number): { shape: SteamCatalogueShape; index: number } | undefined {
  if (!Number.isSafeInteger(appid) || appid <= 0 || appid % 10 !== 0) return undefined;
  const n = appid / 10 - 1;
  const shelf = Math.floor(n / GAMES_PER_SHELF);
  const index = n % GAMES_PER_SHELF;
  if (shelf === 0) return { shape: DEFAULT_CATALOGUE_SHAPE, index };
  const m = shelf - 1;
  const achievementsPerGame = m % (MAX_ACHIEVEMENTS_PER_GAME + 1);
  const rest = Math.floor(m / (MAX_ACHIEVEMENTS_PER_GAME + 1));
  const hiddenPct = rest % 101;
  const noStatsPct = Math.floor(rest / 101);
  if (noStatsPct > 100) return undefined;
  const shape = { achievementsPerGame, hiddenRatio: hiddenPct / 100, noStatsRatio: noStatsPct / 100 };
  if (isDefaultShape(shape)) return undefined; // the default shape only lives on shelf 0
  return { shape, index };
}

/** Exactly `ratio` of any prefix 0..i is selected (no clumping, no randomness): shares stay exact for tests. */
export const evenlySpread = (i: number, ratio: number) => Math.floor((i + 1) * ratio + 1e-9) > Math.floor(i * ratio + 1e-9);

export interface SteamCatalogue {
  game(appid: number): SteamGameDefinition | undefined;
}

/** Definitions are built on first use and cached: a 1,000 × 50 library costs one build per game. */
export function createSteamCatalogue(): SteamCatalogue {
  const cache = new Map<number, SteamGameDefinition>();
  return {
    game(appid) {
      const cached = cache.get(appid);
      if (cached) return cached;
      const located = locateAppId(appid);
      if (!located) return undefined;
      const definition = buildGame(appid, located.shape, located.index);
      cache.set(appid, definition);
      return definition;
    },
  };
}

function buildGame(appid: number, shape: SteamCatalogueShape, index: number): SteamGameDefinition {
  const rng = seededRandom(`steam-game:${appid}`);
  const name = gameTitle(rng);
  const iconHash = rng.hex(40);
  const hasStats = shape.achievementsPerGame > 0 && !evenlySpread(index, shape.noStatsRatio);
  const achievementCount = hasStats ? shape.achievementsPerGame : 0;
  let achievements: SteamAchievementDefinition[] | undefined;
  return {
    appid,
    name,
    iconHash,
    hasStats,
    achievementCount,
    get achievements() {
      return (achievements ??= buildAchievements(appid, name, achievementCount, shape.hiddenRatio));
    },
  };
}

function buildAchievements(appid: number, gameName: string, count: number, hiddenRatio: number): SteamAchievementDefinition[] {
  const rng = seededRandom(`steam-achievements:${appid}`);
  const prefix = gameName.replace(/[^A-Za-z]/g, '').slice(0, 6).toUpperCase() || 'GAME';
  const achievements: SteamAchievementDefinition[] = [];
  for (let k = 0; k < count; k++) {
    const hidden = evenlySpread(k, hiddenRatio);
    // Later achievements are rarer, hidden ones rarer still; jitter keeps the curve from looking generated.
    const base = 90 * Math.pow(1 - k / Math.max(1, count), 1.6) + 0.05;
    const globalPercent = Math.min(100, Math.max(0.01, base * (hidden ? 0.4 : 1) * (0.75 + rng.next() * 0.5)));
    achievements.push({
      apiname: `${prefix}_ACH_${String(k + 1).padStart(3, '0')}`,
      displayName: achievementTitle(rng, k),
      description: hidden && rng.chance(0.5) ? undefined : achievementDescription(rng),
      hidden,
      iconHash: rng.hex(40),
      iconGrayHash: rng.hex(40),
      globalPercent,
    });
  }
  return achievements;
}
