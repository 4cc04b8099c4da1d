import { z } from 'zod';
import { seededRandom } from '../synthetic/seeded-random.ts';
import {
  achievementTarget,
  evenlySpread,
  MAX_ACHIEVEMENTS_PER_TITLE,
  TITLES_PER_SHELF,
  titleIdFor,
  type XboxCatalogue,
  type XboxTitleDefinition,
} from './xbox-catalogue.ts';

/**
 * One account's Xbox library: which catalogue titles it played and its progress in each. Progress is
 * generated on first read from a PRNG seeded with xuid + titleId (so the same account has the same
 * library in every run) and only what a test changes (earn) is kept.
 */

/** Library times are relative to this fixed instant (2025-01-01T00:00:00Z), not to "now": determinism. */
export const XBOX_LIBRARY_EPOCH_MS = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;

const ratio = z.number().min(0).max(1);
export const xboxLibraryOptionsSchema = z.strictObject({
  titles: z.number().int().min(0).max(TITLES_PER_SHELF).default(20),
  achievementsPerTitle: z.number().int().min(1).max(MAX_ACHIEVEMENTS_PER_TITLE).default(25),
  /** Exact share of Xbox 360 titles (evenly spread over the library). */
  x360Ratio: ratio.default(0.25),
  /** Per-achievement chance of being unlocked. */
  earnedRatio: ratio.default(0.4),
});
export type XboxLibraryOptions = z.input<typeof xboxLibraryOptionsSchema>;
export type XboxLibraryShape = z.output<typeof xboxLibraryOptionsSchema>;

export interface XboxTitleProgress {
  /** Epoch ms; titlehub `titleHistory.lastTimePlayed`. */
  lastPlayed: number;
  /** Per achievement, in id order: epoch ms, 0 = locked. */
  unlockTimes: number[];
  /** Modern titles: the requirement's current value per achievement (0 = not started). */
  current: number[];
}

/** A title as the routes and the admin view need it: definition + this user's progress. */
export interface XboxOwnedTitle {
  definition: XboxTitleDefinition;
  progress: XboxTitleProgress;
  earnedCount: number;
  currentGamerscore: number;
  /** Epoch ms of the latest unlock, 0 = none. */
  lastUnlock: number;
}

export interface XboxAccountLibrary {
  readonly shape: XboxLibraryShape;
  titleIds(): number[];
  owns(titleId: number): boolean;
  /** Undefined for a title this account never played. */
  title(titleId: number): XboxOwnedTitle | undefined;
  titles(): XboxOwnedTitle[];
  /** Unlocks the next `count` locked achievements at `now`; bumps last played (and so every history marker). */
  earn(titleId: number, count: number, now: number): { titleId: number; earned: number[]; lastPlayed: number } | undefined;
}

export function createXboxAccountLibrary(xuid: string, options: XboxLibraryOptions, catalogue: XboxCatalogue): XboxAccountLibrary {
  const shape = xboxLibraryOptionsSchema.parse(options);
  const ids = Array.from({ length: shape.titles }, (_, i) => titleIdFor(evenlySpread(i, shape.x360Ratio) ? 'x360' : 'modern', shape.achievementsPerTitle, i));
  const owned = new Set(ids);
  const progress = new Map<number, XboxTitleProgress>();

  function progressOf(definition: XboxTitleDefinition): XboxTitleProgress {
    let p = progress.get(definition.titleId);
    if (!p) {
      p = generate(xuid, definition, shape.earnedRatio);
      progress.set(definition.titleId, p);
    }
    return p;
  }

  function view(titleId: number): XboxOwnedTitle | undefined {
    if (!owned.has(titleId)) return undefined;
    const definition = catalogue.title(titleId)!;
    const p = progressOf(definition);
    let earnedCount = 0;
    let currentGamerscore = 0;
    let lastUnlock = 0;
    p.unlockTimes.forEach((t, k) => {
      if (t === 0) return;
      earnedCount++;
      currentGamerscore += definition.gamerscores[k]!;
      lastUnlock = Math.max(lastUnlock, t);
    });
    return { definition, progress: p, earnedCount, currentGamerscore, lastUnlock };
  }

  return {
    shape,
    titleIds: () => [...ids],
    owns: (titleId) => owned.has(titleId),
    title: view,
    titles: () => ids.map((id) => view(id)!),
    earn(titleId, count, now) {
      const owned = view(titleId);
      if (!owned) return undefined;
      const p = owned.progress;
      const earned: number[] = [];
      for (let k = 0; k < p.unlockTimes.length && earned.length < count; k++) {
        if (p.unlockTimes[k] !== 0) continue;
        p.unlockTimes[k] = now;
        p.current[k] = owned.definition.kind === 'modern' ? achievementTarget('modern', k) : 0;
        earned.push(k + 1);
      }
      // Playing is how one earns: last played moves even when nothing was left to unlock.
      p.lastPlayed = Math.max(now, p.lastPlayed + 1);
      return { titleId, earned, lastPlayed: p.lastPlayed };
    },
  };
}

function generate(xuid: string, definition: XboxTitleDefinition, earnedRatio: number): XboxTitleProgress {
  const rng = seededRandom(`xbox-progress:${xuid}:${definition.titleId}`);
  const lastPlayed = XBOX_LIBRARY_EPOCH_MS - rng.int(0, 3 * 365 * DAY_MS);
  const modern = definition.kind === 'modern';
  const unlockTimes: number[] = [];
  const current: number[] = [];
  for (let k = 0; k < definition.achievementCount; k++) {
    const target = achievementTarget(definition.kind, k);
    if (rng.chance(earnedRatio)) {
      unlockTimes.push(lastPlayed - rng.int(0, 2 * 365 * DAY_MS));
      current.push(modern ? target : 0);
    } else {
      unlockTimes.push(0);
      current.push(modern && target > 1 && rng.chance(0.5) ? rng.int(1, target - 1) : 0);
    }
  }
  // The last play is at least the last unlock.
  const latest = Math.max(lastPlayed, ...unlockTimes);
  return { lastPlayed: latest, unlockTimes, current };
}
