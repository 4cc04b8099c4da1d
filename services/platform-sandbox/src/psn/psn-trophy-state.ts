import { z } from 'zod';
import { SandboxStateError } from '../sandbox-state-error.ts';
import { countsOf, createPsnLibrary, isoSeconds, type PsnEarnResult, type PsnLibrary, type PsnLibraryOptions, type PsnTitleSummary } from './psn-library.ts';
import { createPsnRateLimiter, type PsnRateLimitDecision, type PsnRateLimiter, type PsnRateLimitSpec } from './psn-rate-limit.ts';
import { createPsnTrophyCatalogue, type PsnTrophyCatalogue, type PsnTrophyCounts } from './psn-trophy-catalogue.ts';

/**
 * The trophy side of the PSN sandbox: the shared catalogue, each account's library, and the controls tests
 * and benchmarks need (change a title, shrink the list for a while, make a title 404, a request window).
 */

export const psnListDropSchema = z.strictObject({
  /** Share of the account's titles the list leaves out (spread evenly over the library, the same titles every time). */
  percent: z.number().min(0).max(100),
  /** For this many listings; a listing starts with an `offset=0` request and its later pages follow its fate. */
  listings: z.number().int().min(1).max(10_000),
});
export type PsnListDrop = z.infer<typeof psnListDropSchema>;

export interface PsnLibraryTrophyView {
  trophyId: number;
  trophyGroupId: string;
  trophyType: string;
  trophyHidden: boolean;
  earned: boolean;
  earnedDateTime: string | null;
  trophyEarnedRate: string;
}

export interface PsnLibraryTitleView {
  npCommunicationId: string;
  npServiceName: string;
  trophyTitlePlatform: string;
  trophyTitleName: string;
  lastUpdatedDateTime: string;
  progress: number;
  definedTrophies: PsnTrophyCounts;
  earnedTrophies: PsnTrophyCounts;
  groups: string[];
  missing: boolean;
  trophies?: PsnLibraryTrophyView[];
}

export interface PsnLibraryView {
  accountId: string;
  options: PsnLibrary['options'];
  titleCount: number;
  trophyCount: number;
  earnedCount: number;
  /** PSN's order (newest first), without the list drop: what a full sync must end up with. */
  titles: PsnLibraryTitleView[];
}

export interface PsnTrophyState {
  readonly catalogue: PsnTrophyCatalogue;
  putLibrary(accountId: string, options?: PsnLibraryOptions): PsnLibraryView;
  library(accountId: string): PsnLibrary | undefined;
  removeLibrary(accountId: string): void;
  /** `withTrophies: false` leaves each title's trophies out (a 50,000-trophy library is a large answer). */
  view(accountId: string, withTrophies?: boolean): PsnLibraryView | undefined;
  earn(accountId: string, npCommunicationId: string | undefined, count: number): PsnEarnResult;
  /** The list as one page request sees it: the account's titles, newest first, minus an active drop. */
  listing(accountId: string, offset: number): PsnTitleSummary[];
  /** `null`: the list is whole again from the next request on. */
  dropTitles(accountId: string, drop: PsnListDrop | null): void;
  listDrop(accountId: string): (PsnListDrop & { active: boolean }) | undefined;
  setTitleMissing(accountId: string, npCommunicationId: string, missing: boolean): void;
  isTitleMissing(accountId: string, npCommunicationId: string): boolean;
  setRateLimit(accountId: string, spec: PsnRateLimitSpec | null): void;
  rateLimit: PsnRateLimiter['get'];
  takeRateLimit(accountId: string): PsnRateLimitDecision;
  reset(): void;
}

/** Exactly `share` of any prefix 0..i is selected, with no clumping: a 10 % drop hides every tenth title. */
const evenlySpread = (i: number, share: number) => Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);

export function createPsnTrophyState(options: { now: () => number }): PsnTrophyState {
  const catalogue = createPsnTrophyCatalogue();
  const libraries = new Map<string, PsnLibrary>();
  const drops = new Map<string, { percent: number; listings: number; active: boolean }>();
  const missing = new Map<string, Set<string>>();
  const limiter = createPsnRateLimiter();

  function requireLibrary(accountId: string): PsnLibrary {
    const library = libraries.get(accountId);
    if (!library) throw new SandboxStateError(404, `no PSN library for account ${accountId}`);
    return library;
  }

  function titleView(accountId: string, s: PsnTitleSummary, withTrophies: boolean): PsnLibraryTitleView {
    const d = s.definition;
    return {
      npCommunicationId: d.npCommunicationId,
      npServiceName: d.npServiceName,
      trophyTitlePlatform: d.platform,
      trophyTitleName: d.name,
      lastUpdatedDateTime: isoSeconds(s.progress.lastUpdated),
      progress: s.progressPercent,
      definedTrophies: { ...d.defined },
      earnedTrophies: countsOf(d, s.progress),
      groups: d.groups.map((g) => g.id),
      missing: missing.get(accountId)?.has(d.npCommunicationId) ?? false,
      ...(withTrophies
        ? {
            trophies: d.trophies.map((t) => ({
              trophyId: t.trophyId,
              trophyGroupId: t.groupId,
              trophyType: t.type,
              trophyHidden: t.hidden,
              earned: s.progress.earnedAt[t.trophyId]! > 0,
              earnedDateTime: s.progress.earnedAt[t.trophyId]! > 0 ? isoSeconds(s.progress.earnedAt[t.trophyId]!) : null,
              trophyEarnedRate: t.earnedRate,
            })),
          }
        : {}),
    };
  }

  const state: PsnTrophyState = {
    catalogue,
    putLibrary(accountId, libraryOptions = {}) {
      libraries.set(accountId, createPsnLibrary(accountId, libraryOptions, catalogue));
      return state.view(accountId, false)!;
    },
    library: (accountId) => libraries.get(accountId),
    removeLibrary(accountId) {
      libraries.delete(accountId);
      drops.delete(accountId);
      missing.delete(accountId);
      limiter.set(accountId, null);
    },
    view(accountId, withTrophies = true) {
      const library = libraries.get(accountId);
      if (!library) return undefined;
      const titles = library.sorted().map((s) => titleView(accountId, s, withTrophies));
      let trophyCount = 0;
      let earnedCount = 0;
      for (const t of titles) {
        trophyCount += Object.values(t.definedTrophies).reduce((a, b) => a + b, 0);
        earnedCount += Object.values(t.earnedTrophies).reduce((a, b) => a + b, 0);
      }
      return { accountId, options: library.options, titleCount: titles.length, trophyCount, earnedCount, titles };
    },
    earn(accountId, npCommunicationId, count) {
      return requireLibrary(accountId).earn(npCommunicationId, count, Math.floor(options.now() / 1000));
    },
    listing(accountId, offset) {
      const all = libraries.get(accountId)?.sorted() ?? [];
      const drop = drops.get(accountId);
      if (!drop) return all;
      if (offset === 0) {
        drop.active = drop.listings > 0;
        if (drop.active) drop.listings--;
      }
      if (!drop.active) {
        if (drop.listings === 0) drops.delete(accountId);
        return all;
      }
      const share = drop.percent / 100;
      // By catalogue position, not list position: the same titles drop out however the list is ordered.
      return all.filter((s) => !evenlySpread(s.definition.index - 1, share));
    },
    dropTitles(accountId, drop) {
      requireLibrary(accountId);
      if (drop === null) drops.delete(accountId);
      else drops.set(accountId, { ...psnListDropSchema.parse(drop), active: false });
    },
    listDrop: (accountId) => {
      const drop = drops.get(accountId);
      return drop && { ...drop };
    },
    setTitleMissing(accountId, npCommunicationId, isMissing) {
      if (!requireLibrary(accountId).owns(npCommunicationId)) throw new SandboxStateError(404, `the library of ${accountId} has no title ${npCommunicationId}`);
      let set = missing.get(accountId);
      if (!set) missing.set(accountId, (set = new Set()));
      if (isMissing) set.add(npCommunicationId);
      else set.delete(npCommunicationId);
    },
    isTitleMissing: (accountId, npCommunicationId) => missing.get(accountId)?.has(npCommunicationId) ?? false,
    setRateLimit: (accountId, spec) => limiter.set(accountId, spec),
    rateLimit: (accountId) => limiter.get(accountId),
    takeRateLimit: (accountId) => limiter.take(accountId, options.now()),
    reset() {
      libraries.clear();
      drops.clear();
      missing.clear();
      limiter.clear();
    },
  };
  return state;
}
