import { seededRandom, type SeededRandom } from '../synthetic/seeded-random.ts';
import { achievementDescription, achievementTitle, gameTitle } from '../synthetic/synthetic-names.ts';

/**
 * The sandbox's Xbox title catalogue. A title's definition (name, devices, service config id, its
 * achievements with gamerscore and rarity) is a pure function of its titleId, so every account that
 * played a title sees the same definitions and nothing is stored: a 1,000-title library costs nothing
 * until a title is read, and then one build per title.
 *
 * A titleId encodes what it is: its kind (Xbox One/Series or Xbox 360), its shelf (achievements per
 * title) and its index on that shelf. Accounts with the same `achievementsPerTitle` own the same titles
 * from index 0 up.
 *   modern: 2,000,000,000 + shelf × 100,000 + index      360: 1,400,000,000 + shelf × 100,000 + index
 * Both stay below 2^32, as real title ids do.
 */
export type XboxTitleKind = 'modern' | 'x360';

export const MAX_ACHIEVEMENTS_PER_TITLE = 500;
export const TITLES_PER_SHELF = 100_000;
const MODERN_BASE = 2_000_000_000;
const X360_BASE = 1_400_000_000;
/** Every 10th achievement is secret. */
const SECRET_RATIO = 0.1;

export interface XboxAchievementDefinition {
  /** Modern ids are strings on the wire ("1"), 360 ids numbers; both are k + 1. */
  id: number;
  name: string;
  /** What the player sees once it is unlocked (past tense). */
  description: string;
  /** How to earn it. */
  lockedDescription: string;
  isSecret: boolean;
  gamerscore: number;
  /** 0–100: share of players who unlocked it (contract 3/4 `rarity.currentPercentage`). */
  rarityPercent: number;
  /** Modern: progress target (1 = a plain unlock). */
  target: number;
  /** Modern: requirement and media ids. */
  requirementId: string;
  iconName: string;
  iconUrl: string;
  /** 360: the image id the legacy image URL is built from. */
  imageId: number;
}

export interface XboxTitleDefinition {
  titleId: number;
  kind: XboxTitleKind;
  name: string;
  devices: string[];
  /** Modern titles; 360 titles have none (null on titlehub). */
  serviceConfigId: string | null;
  productId: string | null;
  pfn: string | null;
  bingId: string | null;
  windowsPhoneProductId: string | null;
  displayImage: string;
  totalGamerscore: number;
  achievementCount: number;
  /** Per achievement, in id order (known without building the achievements). */
  gamerscores: readonly number[];
  /** Built on first read. */
  readonly achievements: XboxAchievementDefinition[];
}

export function titleIdFor(kind: XboxTitleKind, achievementsPerTitle: number, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= TITLES_PER_SHELF) throw new RangeError(`title index ${index} out of range`);
  if (!Number.isInteger(achievementsPerTitle) || achievementsPerTitle < 1 || achievementsPerTitle > MAX_ACHIEVEMENTS_PER_TITLE) {
    throw new RangeError(`achievementsPerTitle ${achievementsPerTitle} out of range`);
  }
  return (kind === 'modern' ? MODERN_BASE : X360_BASE) + achievementsPerTitle * TITLES_PER_SHELF + index;
}

/** The kind, shelf and index a titleId was minted from; undefined for ids the catalogue never issues. */
export function locateTitleId(titleId: number): { kind: XboxTitleKind; achievementsPerTitle: number; index: number } | undefined {
  if (!Number.isSafeInteger(titleId)) return undefined;
  for (const [kind, base] of [['modern', MODERN_BASE], ['x360', X360_BASE]] as const) {
    const n = titleId - base;
    if (n < TITLES_PER_SHELF || n >= (MAX_ACHIEVEMENTS_PER_TITLE + 1) * TITLES_PER_SHELF) continue;
    return { kind, achievementsPerTitle: Math.floor(n / TITLES_PER_SHELF), index: n % TITLES_PER_SHELF };
  }
  return undefined;
}

/** A modern achievement's progress target: every 4th one counts to 10, the rest are plain unlocks. */
export const achievementTarget = (kind: XboxTitleKind, k: number) => (kind === 'modern' && k % 4 === 3 ? 10 : 1);

/** Exactly `ratio` of any prefix 0..i is selected: shares stay exact for tests. */
export const evenlySpread = (i: number, ratio: number) => Math.floor((i + 1) * ratio + 1e-9) > Math.floor(i * ratio + 1e-9);

export interface XboxCatalogue {
  title(titleId: number): XboxTitleDefinition | undefined;
}

export function createXboxCatalogue(): XboxCatalogue {
  const cache = new Map<number, XboxTitleDefinition>();
  return {
    title(titleId) {
      const cached = cache.get(titleId);
      if (cached) return cached;
      const located = locateTitleId(titleId);
      if (!located) return undefined;
      const definition = buildTitle(titleId, located.kind, located.achievementsPerTitle);
      cache.set(titleId, definition);
      return definition;
    },
  };
}

const uuid = (rng: SeededRandom) => {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

const MODERN_DEVICES = [['XboxOne'], ['XboxOne', 'XboxSeries'], ['PC', 'XboxOne', 'XboxSeries'], ['XboxSeries'], ['PC', 'XboxOne']] as const;
/** The legacy image host and path scheme for 360 titles and achievements (hex ids, upper case). */
const legacyImage = (titleId: number, path: string) => `http://image.xboxlive.com/global/t.${titleId.toString(16).toUpperCase()}/${path}`;

function buildTitle(titleId: number, kind: XboxTitleKind, count: number): XboxTitleDefinition {
  const rng = seededRandom(`xbox-title:${titleId}`);
  const name = gameTitle(rng);
  const modern = kind === 'modern';
  const serviceConfigId = modern ? uuid(rng) : null;
  const productId = modern ? uuid(rng) : null;
  const storeHash = rng.hex(16);
  const devices = modern ? [...rng.pick(MODERN_DEVICES)] : ['Xbox360'];
  const pfn = modern ? `Sandbox.${name.replace(/[^A-Za-z0-9]/g, '')}_${rng.hex(13)}` : null;
  const bingId = modern && rng.chance(0.5) ? uuid(rng) : null;
  const windowsPhoneProductId = modern ? uuid(rng) : null;
  const displayImage = modern ? `http://store-images.s-microsoft.com/image/apps.${rng.int(1000, 65000)}.${storeHash}` : legacyImage(titleId, 'icon/0/8000');
  // Gamerscore per achievement: a fixed function of the title, so totals are stable.
  const values = modern ? [5, 10, 10, 15, 20, 25, 30, 40, 50, 100] : [5, 10, 10, 15, 20, 25, 30, 50];
  const gamerscores = Array.from({ length: count }, () => (count > 200 ? rng.pick([0, 5, 10]) : rng.pick(values)));
  const totalGamerscore = gamerscores.reduce((a, b) => a + b, 0);
  let achievements: XboxAchievementDefinition[] | undefined;
  return {
    titleId,
    kind,
    name,
    devices,
    serviceConfigId,
    productId,
    pfn,
    bingId,
    windowsPhoneProductId,
    displayImage,
    totalGamerscore,
    achievementCount: count,
    gamerscores,
    get achievements() {
      return (achievements ??= buildAchievements(titleId, kind, gamerscores));
    },
  };
}

const PAST_TENSE: Record<string, string> = {
  Defeat: 'Defeated',
  Collect: 'Collected',
  Discover: 'Discovered',
  Complete: 'Completed',
  Survive: 'Survived',
  Build: 'Built',
  Win: 'Won',
  Reach: 'Reached',
  Unlock: 'Unlocked',
  Master: 'Mastered',
};

function buildAchievements(titleId: number, kind: XboxTitleKind, gamerscores: number[]): XboxAchievementDefinition[] {
  const rng = seededRandom(`xbox-achievements:${titleId}`);
  const count = gamerscores.length;
  const out: XboxAchievementDefinition[] = [];
  for (let k = 0; k < count; k++) {
    const isSecret = evenlySpread(k, SECRET_RATIO);
    const lockedDescription = achievementDescription(rng);
    const [verb = '', ...rest] = lockedDescription.split(' ');
    const description = [PAST_TENSE[verb] ?? verb, ...rest].join(' ');
    // Later achievements are rarer, secret ones rarer still.
    const base = 85 * Math.pow(1 - k / Math.max(1, count), 1.5) + 0.1;
    const rarityPercent = Math.round(Math.min(100, Math.max(0.1, base * (isSecret ? 0.4 : 1) * (0.75 + rng.next() * 0.5))) * 100) / 100;
    const iconHash = rng.hex(24);
    const imageId = k + 1 + rng.int(0, 3);
    // Ids that only need to be unique and stable: derived, not drawn (a 40,000-achievement library builds fast).
    const idTail = `${titleId.toString(16).padStart(8, '0')}${(k + 1).toString(16).padStart(4, '0')}`;
    out.push({
      id: k + 1,
      name: achievementTitle(rng, k),
      description,
      lockedDescription,
      isSecret,
      gamerscore: gamerscores[k]!,
      rarityPercent,
      target: achievementTarget(kind, k),
      requirementId: `${iconHash.slice(0, 8)}-0000-4000-8000-${idTail}`,
      iconName: `${iconHash.slice(8, 16)}-0000-4000-9000-${idTail}.png`,
      iconUrl: kind === 'modern' ? `http://images-eds.xboxlive.com/image?url=${iconHash}` : legacyImage(titleId, `ach/0/${imageId.toString(16).toUpperCase()}`),
      imageId,
    });
  }
  return out;
}
