import { z } from 'zod';
import { SandboxStateError } from '../sandbox-state-error.ts';
import { seededRandom } from '../synthetic/seeded-random.ts';
import {
  emptyCounts,
  npCommunicationIdFor,
  PSN_CATALOGUE_SIZE,
  PSN_LIBRARY_EPOCH_S,
  psnProgress,
  TITLES_PER_BLOCK,
  type PsnTitleDefinition,
  type PsnTrophyCatalogue,
  type PsnTrophyCounts,
} from './psn-trophy-catalogue.ts';

/**
 * One account's trophy list. Which titles it has is a block-aligned run of the catalogue chosen by the
 * seed; a title's earned state is generated from (seed, title) the first time anything reads it, then kept
 * and changed in place by the admin operations. Nothing is precomputed: creating a 50,000-title library is
 * O(1); the first listing generates the earned state of every title (types and dates only, no strings).
 */

const DAY = 86_400;
export const MAX_LIBRARY_TITLES = 50_000;

export const psnLibraryOptionsSchema = z.strictObject({
  titles: z.number().int().min(0).max(MAX_LIBRARY_TITLES).default(20),
  /** Average share of trophies earned; per title it varies (≈10 % untouched, ≈10 % complete when between 0 and 1). */
  earnedRatio: z.number().min(0).max(1).default(0.5),
  /** Seeds the title selection and the earned state; default: the account id. */
  seed: z.string().min(1).max(100).optional(),
});
export type PsnLibraryOptions = z.input<typeof psnLibraryOptionsSchema>;

export interface PsnTitleProgress {
  /** Per trophy (trophyId order): unix seconds, 0 = not earned. */
  earnedAt: number[];
  /** Unearned PS5 progress trophies: steps done (undefined elsewhere). */
  progress: (number | undefined)[];
  progressedAt: (number | undefined)[];
  /** Unix seconds: the latest earned trophy, or when the title first synced when nothing is earned. */
  lastUpdated: number;
}

export interface PsnTitleSummary {
  definition: PsnTitleDefinition;
  progress: PsnTitleProgress;
  earned: PsnTrophyCounts;
  /** PSN's own figure (see `psnProgress`). */
  progressPercent: number;
}

export interface PsnEarnResult {
  npCommunicationId: string;
  earned: number[];
  lastUpdatedDateTime: string;
}

export interface PsnLibrary {
  readonly options: z.output<typeof psnLibraryOptionsSchema> & { seed: string };
  owns(npCommunicationId: string): boolean;
  /** Titles in PSN's order: newest `lastUpdatedDateTime` first. */
  sorted(): PsnTitleSummary[];
  summary(npCommunicationId: string): PsnTitleSummary | undefined;
  /** Earns the next `count` locked trophies of a title now (the oldest title with one left when none is named). */
  earn(npCommunicationId: string | undefined, count: number, nowS: number): PsnEarnResult;
}

export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function countsOf(definition: PsnTitleDefinition, progress: PsnTitleProgress, trophyIds?: readonly number[]): PsnTrophyCounts {
  const counts = emptyCounts();
  for (const id of trophyIds ?? definition.trophies.map((t) => t.trophyId)) if (progress.earnedAt[id]! > 0) counts[definition.trophies[id]!.type]++;
  return counts;
}

export function createPsnLibrary(accountId: string, input: PsnLibraryOptions, catalogue: PsnTrophyCatalogue): PsnLibrary {
  const parsed = psnLibraryOptionsSchema.parse(input);
  const options = { ...parsed, seed: parsed.seed ?? accountId };
  const blocks = Math.ceil(options.titles / TITLES_PER_BLOCK);
  const lastStartBlock = Math.floor(PSN_CATALOGUE_SIZE / TITLES_PER_BLOCK) - blocks;
  const startIndex = 1 + TITLES_PER_BLOCK * seededRandom(`psn-library:${options.seed}`).int(0, Math.max(0, lastStartBlock));
  const ids = Array.from({ length: options.titles }, (_, i) => npCommunicationIdFor(startIndex + i));
  const owned = new Set(ids);
  const progressById = new Map<string, PsnTitleProgress>();
  let order: PsnTitleSummary[] | undefined;

  function progressOf(definition: PsnTitleDefinition): PsnTitleProgress {
    let progress = progressById.get(definition.npCommunicationId);
    if (!progress) {
      progress = generateProgress(definition);
      progressById.set(definition.npCommunicationId, progress);
    }
    return progress;
  }

  function generateProgress(definition: PsnTitleDefinition): PsnTitleProgress {
    const rng = seededRandom(`psn-progress:${options.seed}:${definition.npCommunicationId}`);
    const activity = PSN_LIBRARY_EPOCH_S - rng.int(0, 4 * 365 * DAY);
    const roll = rng.next();
    const ratio = options.earnedRatio;
    const share = ratio === 0 || ratio === 1 ? ratio : roll < 0.1 ? 0 : roll < 0.2 ? 1 : Math.min(1, Math.max(0, ratio + (rng.next() - 0.5) * 0.6));
    const trophies = definition.trophies;
    const earnedAt = trophies.map((t) => (t.type !== 'platinum' && rng.chance(share) ? activity - rng.int(0, 300 * DAY) : 0));
    // The platinum comes with the last base-game trophy, exactly as on PSN: only when every other one is earned.
    const platinum = trophies.find((t) => t.type === 'platinum');
    if (platinum) {
      const base = trophies.filter((t) => t.groupId === 'default' && t.type !== 'platinum');
      if (base.length > 0 && base.every((t) => earnedAt[t.trophyId]! > 0)) earnedAt[platinum.trophyId] = Math.max(...base.map((t) => earnedAt[t.trophyId]!));
    }
    const progress = trophies.map((t, i) => (t.progressTarget !== undefined && earnedAt[i] === 0 ? rng.int(0, t.progressTarget - 1) : undefined));
    const progressedAt = progress.map((p) => (p !== undefined && p > 0 ? activity - rng.int(0, 30 * DAY) : undefined));
    const latest = Math.max(0, ...earnedAt);
    return { earnedAt, progress, progressedAt, lastUpdated: latest > 0 ? latest : activity };
  }

  function summaryOf(definition: PsnTitleDefinition): PsnTitleSummary {
    const progress = progressOf(definition);
    const earned = countsOf(definition, progress);
    return { definition, progress, earned, progressPercent: psnProgress(earned, definition.defined) };
  }

  function sorted(): PsnTitleSummary[] {
    if (!order) {
      order = ids.map((id) => summaryOf(catalogue.title(id)!));
      order.sort((a, b) => b.progress.lastUpdated - a.progress.lastUpdated || a.definition.index - b.definition.index);
    }
    return order;
  }

  return {
    options,
    owns: (id) => owned.has(id),
    sorted,
    summary(id) {
      if (!owned.has(id)) return undefined;
      return summaryOf(catalogue.title(id)!);
    },
    earn(id, count, nowS) {
      const list = sorted();
      const lockedOf = (s: PsnTitleSummary) => s.definition.trophies.filter((t) => t.type !== 'platinum' && s.progress.earnedAt[t.trophyId] === 0);
      let target: PsnTitleSummary | undefined;
      if (id !== undefined) {
        target = owned.has(id) ? list.find((s) => s.definition.npCommunicationId === id) : undefined;
        if (!target) throw new SandboxStateError(404, `the library has no title ${id}`);
      } else {
        target = [...list].reverse().find((s) => lockedOf(s).length > 0);
        if (!target) throw new SandboxStateError(409, 'every trophy of the library is earned');
      }
      const locked = lockedOf(target);
      if (locked.length === 0) throw new SandboxStateError(409, `every trophy of ${target.definition.npCommunicationId} is earned`);
      // Strictly after every other title: the changed title moves to the top of the list, whatever the clock says.
      const at = Math.max(nowS, Math.max(...list.map((s) => s.progress.lastUpdated)) + 1);
      const { earnedAt, progress, progressedAt } = target.progress;
      const earned: number[] = [];
      for (const trophy of locked.slice(0, count)) {
        earnedAt[trophy.trophyId] = at;
        progress[trophy.trophyId] = undefined;
        progressedAt[trophy.trophyId] = undefined;
        earned.push(trophy.trophyId);
      }
      const trophies = target.definition.trophies;
      const platinum = trophies.find((t) => t.type === 'platinum');
      if (platinum && earnedAt[platinum.trophyId] === 0 && trophies.every((t) => t.groupId !== 'default' || t.type === 'platinum' || earnedAt[t.trophyId]! > 0)) {
        earnedAt[platinum.trophyId] = at;
        earned.push(platinum.trophyId);
      }
      target.progress.lastUpdated = at;
      order = undefined;
      return { npCommunicationId: target.definition.npCommunicationId, earned, lastUpdatedDateTime: isoSeconds(at) };
    },
  };
}
