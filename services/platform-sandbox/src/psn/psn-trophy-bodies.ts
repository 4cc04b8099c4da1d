import { countsOf, isoSeconds, type PsnTitleSummary } from './psn-library.ts';
import { psnProgress, type PsnTitleDefinition, type PsnTrophyDefinition } from './psn-trophy-catalogue.ts';

/**
 * The trophy endpoints' bodies, keys in the order the recordings have them (platform-fixtures/psn), optional
 * keys present exactly when PSN sends them: `trophyTitleDetail` on `trophy` sets only, `earnedDateTime` on
 * earned trophies only, the `progress*` fields on unearned PS5 progress trophies only, `rarestTrophies` and
 * a group's `lastUpdatedDateTime` only when something is earned, `nextOffset` only when more follow,
 * `previousOffset` (= offset − 1) only past the first page.
 */

export interface PageWindow {
  offset: number;
  /** Undefined: everything from `offset` on (what the trophy lists do without a `limit`). */
  limit: number | undefined;
}

/** Slices `items` and gives the paging fields in PSN's order (nextOffset, previousOffset; totalItemCount follows). */
export function page<T>(items: readonly T[], window: PageWindow): { items: T[]; fields: { nextOffset?: number; previousOffset?: number } } {
  const end = window.limit === undefined ? items.length : Math.min(items.length, window.offset + window.limit);
  const fields: { nextOffset?: number; previousOffset?: number } = {};
  if (end < items.length) fields.nextOffset = end;
  if (window.offset > 0) fields.previousOffset = window.offset - 1;
  return { items: items.slice(window.offset, end), fields };
}

/** One `trophyTitles[]` entry (recorded order; `trophyTitleDetail` only on `trophy` sets). */
export function trophyTitleEntry(summary: PsnTitleSummary): Record<string, unknown> {
  const d = summary.definition;
  return {
    npServiceName: d.npServiceName,
    npCommunicationId: d.npCommunicationId,
    trophySetVersion: d.trophySetVersion,
    trophyTitleName: d.name,
    ...(d.detail === undefined ? {} : { trophyTitleDetail: d.detail }),
    trophyTitleIconUrl: d.iconUrl,
    trophyTitlePlatform: d.platform,
    hasTrophyGroups: d.groups.length > 1,
    trophyGroupCount: d.groups.length,
    definedTrophies: { ...d.defined },
    progress: summary.progressPercent,
    earnedTrophies: { ...summary.earned },
    hiddenFlag: false,
    lastUpdatedDateTime: isoSeconds(summary.progress.lastUpdated),
  };
}

export function trophyTitlesBody(titles: readonly PsnTitleSummary[], window: PageWindow): Record<string, unknown> {
  const { items, fields } = page(titles, window);
  return { trophyTitles: items.map(trophyTitleEntry), ...fields, totalItemCount: titles.length };
}

/** The trophies of a group (`all`: every group), or undefined for a group the set does not have. */
export function trophiesOfGroup(definition: PsnTitleDefinition, trophyGroupId: string): PsnTrophyDefinition[] | undefined {
  if (trophyGroupId === 'all') return definition.trophies;
  const group = definition.groups.find((g) => g.id === trophyGroupId);
  return group && group.trophyIds.map((id) => definition.trophies[id]!);
}

export function titleTrophiesBody(definition: PsnTitleDefinition, trophies: readonly PsnTrophyDefinition[], window: PageWindow): Record<string, unknown> {
  const { items, fields } = page(trophies, window);
  const texts = definition.texts;
  return {
    trophySetVersion: definition.trophySetVersion,
    hasTrophyGroups: definition.groups.length > 1,
    trophies: items.map((t) => {
      const text = texts[t.trophyId]!;
      return {
        trophyId: t.trophyId,
        trophyHidden: t.hidden,
        trophyType: t.type,
        trophyName: text.name,
        trophyDetail: text.detail,
        trophyIconUrl: text.iconUrl,
        trophyGroupId: t.groupId,
        ...(t.progressTarget === undefined ? {} : { trophyProgressTargetValue: String(t.progressTarget) }),
        ...(text.rewardName === undefined ? {} : { trophyRewardName: text.rewardName, trophyRewardImageUrl: text.rewardImageUrl }),
      };
    }),
    ...fields,
    totalItemCount: trophies.length,
  };
}

function userTrophy(summary: PsnTitleSummary, t: PsnTrophyDefinition): Record<string, unknown> {
  const { earnedAt, progress, progressedAt } = summary.progress;
  const at = earnedAt[t.trophyId]!;
  const steps = progress[t.trophyId];
  const progressedOn = progressedAt[t.trophyId];
  return {
    trophyId: t.trophyId,
    trophyHidden: t.hidden,
    earned: at > 0,
    ...(steps === undefined || t.progressTarget === undefined
      ? {}
      : {
          progress: String(steps),
          progressRate: Math.floor((100 * steps) / t.progressTarget),
          ...(progressedOn === undefined ? {} : { progressedDateTime: isoSeconds(progressedOn) }),
        }),
    ...(at > 0 ? { earnedDateTime: isoSeconds(at) } : {}),
    trophyType: t.type,
    trophyRare: t.rare,
    trophyEarnedRate: t.earnedRate,
  };
}

export function userTrophiesBody(summary: PsnTitleSummary, trophies: readonly PsnTrophyDefinition[], window: PageWindow): Record<string, unknown> {
  const { items, fields } = page(trophies, window);
  const earned = trophies.filter((t) => summary.progress.earnedAt[t.trophyId]! > 0);
  const lastUpdated = earned.length > 0 ? Math.max(...earned.map((t) => summary.progress.earnedAt[t.trophyId]!)) : summary.progress.lastUpdated;
  // Every earned trophy sharing the lowest earned rate, over the whole request (not only this page).
  const lowest = Math.min(...earned.map((t) => Number(t.earnedRate)));
  const rarest = earned.filter((t) => Number(t.earnedRate) === lowest);
  return {
    trophySetVersion: summary.definition.trophySetVersion,
    hasTrophyGroups: summary.definition.groups.length > 1,
    lastUpdatedDateTime: isoSeconds(lastUpdated),
    trophies: items.map((t) => userTrophy(summary, t)),
    ...(rarest.length > 0 ? { rarestTrophies: rarest.map((t) => userTrophy(summary, t)) } : {}),
    ...fields,
    totalItemCount: trophies.length,
  };
}

export function titleTrophyGroupsBody(definition: PsnTitleDefinition): Record<string, unknown> {
  return {
    npServiceName: definition.npServiceName,
    npCommunicationId: definition.npCommunicationId,
    trophySetVersion: definition.trophySetVersion,
    trophyTitleName: definition.name,
    ...(definition.detail === undefined ? {} : { trophyTitleDetail: definition.detail }),
    trophyTitleIconUrl: definition.iconUrl,
    trophyTitlePlatform: definition.platform,
    definedTrophies: { ...definition.defined },
    trophyGroups: definition.groups.map((g) => ({
      trophyGroupId: g.id,
      trophyGroupName: g.name,
      ...(g.detail === undefined ? {} : { trophyGroupDetail: g.detail }),
      trophyGroupIconUrl: g.iconUrl,
      definedTrophies: { ...g.defined },
    })),
  };
}

export function userTrophyGroupsBody(summary: PsnTitleSummary): Record<string, unknown> {
  const { definition, progress } = summary;
  return {
    trophySetVersion: definition.trophySetVersion,
    hiddenFlag: false,
    progress: summary.progressPercent,
    earnedTrophies: { ...summary.earned },
    lastUpdatedDateTime: isoSeconds(progress.lastUpdated),
    trophyGroups: definition.groups.map((g) => {
      const earned = countsOf(definition, progress, g.trophyIds);
      const latest = Math.max(0, ...g.trophyIds.map((id) => progress.earnedAt[id]!));
      return {
        trophyGroupId: g.id,
        progress: psnProgress(earned, g.defined),
        earnedTrophies: earned,
        ...(latest > 0 ? { lastUpdatedDateTime: isoSeconds(latest) } : {}),
      };
    }),
  };
}
