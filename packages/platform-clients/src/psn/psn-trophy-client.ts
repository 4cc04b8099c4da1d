import type { z } from 'zod';
import { createPlatformHttp, type PlatformHttpOptions } from '../http/platform-http.ts';
import { PlatformError } from '../platform-error.ts';
import { classifyPsnApiError } from './psn-api-errors.ts';
import { psnAccountIdSchema } from './psn-profile-schemas.ts';
import {
  psnTitleTrophiesSchema,
  psnTitleTrophyGroupsSchema,
  psnTrophyTitlesPageSchema,
  psnUserTrophiesSchema,
  psnUserTrophyGroupsSchema,
  type PsnNpServiceName,
  type PsnTitleTrophies,
  type PsnTitleTrophyGroups,
  type PsnTrophyTitle,
  type PsnTrophyTitlesPage,
  type PsnUserTrophies,
  type PsnUserTrophyGroups,
} from './psn-trophy-schemas.ts';

/** Endpoint ids, as in the platform fixtures' index: faults, call counts and `PlatformError.endpoint` use them. */
export const PSN_TROPHY_ENDPOINTS = {
  trophyTitles: 'psn.trophyTitles',
  titleTrophies: 'psn.titleTrophies',
  userTrophies: 'psn.userTrophies',
  titleTrophyGroups: 'psn.titleTrophyGroups',
  userTrophyGroups: 'psn.userTrophyGroups',
} as const;

/**
 * The largest `limit` `trophyTitles` accepts: 801 and more answer 400, none gives 100 (andshrew/PlayStation-Trophies
 * issue #14 and its API documentation). The trophy lists are asked WITHOUT a limit: documented to return the whole
 * set in one answer (the most any limit could give); `nextOffset` is still followed should PSN ever page them.
 */
export const PSN_TROPHY_TITLES_MAX_LIMIT = 800;

export interface PsnTrophyClientOptions extends Omit<PlatformHttpOptions, 'platform'> {
  /** scheme://host[:port], e.g. https://m.np.playstation.com (PSN_API_BASE_URL) or the sandbox's URL. */
  apiBaseUrl: string;
}

/** What the title list says about a title that the per-title calls need. */
export interface PsnTitleRef {
  npCommunicationId: string;
  /** `trophy` (PS3/PS4/Vita) must be asked for with `npServiceName=trophy`, else PSN answers 404. */
  npServiceName: PsnNpServiceName;
}

/** `all`, `default` or a DLC group `001`, `002`, … */
export type PsnTrophyGroupId = string;

export interface PsnTrophyTitleList {
  /** Newest `lastUpdatedDateTime` first, as PSN sorts them; a title seen twice (the list moved while paging) once. */
  titles: PsnTrophyTitle[];
  /** `totalItemCount` of the last page read. */
  totalItemCount: number;
  /** False when `stopAfter` ended the listing before the last page. */
  complete: boolean;
  pages: number;
}

export interface PsnTrophyClient {
  /** One page of the user's trophy titles. `accountId` is a numeric string or `me`. */
  getTrophyTitlesPage(accessToken: string, accountId: string, page?: { offset?: number; limit?: number }): Promise<PsnTrophyTitlesPage>;
  /**
   * Every page (limit 800), following `nextOffset`. `stopAfter` lets an incremental sync stop asking for
   * further pages once a page holds a title it already has (the list is sorted newest first).
   */
  listTrophyTitles(accessToken: string, accountId: string, options?: { stopAfter?: (title: PsnTrophyTitle) => boolean }): Promise<PsnTrophyTitleList>;
  /** Trophy definitions (name, detail, icon, group); `all` spans the base game and every DLC group. */
  getTitleTrophies(accessToken: string, title: PsnTitleRef, trophyGroupId?: PsnTrophyGroupId): Promise<PsnTitleTrophies>;
  /** The user's earned state with `trophyEarnedRate` (rarity comes only with this call). A title never synced → 404. */
  getUserTrophies(accessToken: string, accountId: string, title: PsnTitleRef, trophyGroupId?: PsnTrophyGroupId): Promise<PsnUserTrophies>;
  /** Group names, icons and defined counts (the DLC names the trophy lists do not carry). */
  getTitleTrophyGroups(accessToken: string, title: PsnTitleRef): Promise<PsnTitleTrophyGroups>;
  /** Per-group progress and earned counts of the user. */
  getUserTrophyGroups(accessToken: string, accountId: string, title: PsnTitleRef): Promise<PsnUserTrophyGroups>;
}

const NP_COMMUNICATION_ID = /^[A-Z]{4}\d{5}_\d{2}$/;
const TROPHY_GROUP_ID = /^(all|default|\d{3})$/;
/** A paged list longer than this many pages is a platform looping on us, not a library. */
const MAX_PAGES = 1_000;

export function createPsnTrophyClient(options: PsnTrophyClientOptions): PsnTrophyClient {
  const { apiBaseUrl, ...httpOptions } = options;
  const http = createPlatformHttp({ ...httpOptions, platform: 'psn' });
  const base = `${apiBaseUrl.replace(/\/+$/, '')}/api/trophy/v1`;

  const invalid = (endpoint: string, message: string) => new PlatformError({ kind: 'config', platform: 'psn', endpoint, message: `${endpoint}: ${message}` });

  // Path segments are checked, not only encoded: an id that is not PSN's shape is our bug, not PSN's answer.
  function accountSegment(endpoint: string, accountId: string): string {
    if (accountId !== 'me' && !psnAccountIdSchema.safeParse(accountId).success) throw invalid(endpoint, 'the account id is not a numeric PSN account id');
    return encodeURIComponent(accountId);
  }
  function titleSegment(endpoint: string, title: PsnTitleRef): string {
    if (!NP_COMMUNICATION_ID.test(title.npCommunicationId)) throw invalid(endpoint, `"${title.npCommunicationId.slice(0, 40)}" is not an npCommunicationId`);
    return encodeURIComponent(title.npCommunicationId);
  }
  function groupSegment(endpoint: string, group: string): string {
    if (!TROPHY_GROUP_ID.test(group)) throw invalid(endpoint, `"${group.slice(0, 40)}" is not a trophy group id`);
    return group;
  }

  const get = <S extends z.ZodType>(endpoint: string, accessToken: string, url: URL, schema: S) =>
    http.request({
      endpoint,
      url,
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      schema,
      classify: classifyPsnApiError(endpoint),
    });

  const malformed = (endpoint: string, message: string) => new PlatformError({ kind: 'malformed', platform: 'psn', endpoint, status: 200, message: `${endpoint}: ${message}` });

  /** Follows `nextOffset` until PSN stops giving one; a `nextOffset` that does not move forward is an error, not a loop. */
  async function allPages<T extends { nextOffset?: number | undefined; totalItemCount: number }>(
    endpoint: string,
    fetchPage: (offset: number | undefined) => Promise<T>,
    onPage: (page: T) => boolean,
  ): Promise<{ last: T; pages: number; complete: boolean }> {
    let offset: number | undefined;
    for (let pages = 1; pages <= MAX_PAGES; pages++) {
      const page = await fetchPage(offset);
      const keepGoing = onPage(page);
      if (page.nextOffset === undefined) return { last: page, pages, complete: true };
      if (!keepGoing) return { last: page, pages, complete: false };
      if (page.nextOffset <= (offset ?? 0) || page.nextOffset > page.totalItemCount) {
        throw malformed(endpoint, `nextOffset ${page.nextOffset} does not move past offset ${offset ?? 0} (of ${page.totalItemCount})`);
      }
      offset = page.nextOffset;
    }
    throw malformed(endpoint, `more than ${MAX_PAGES} pages`);
  }

  const client: PsnTrophyClient = {
    async getTrophyTitlesPage(accessToken, accountId, page = {}) {
      const endpoint = PSN_TROPHY_ENDPOINTS.trophyTitles;
      const url = new URL(`${base}/users/${accountSegment(endpoint, accountId)}/trophyTitles`);
      url.searchParams.set('limit', String(page.limit ?? PSN_TROPHY_TITLES_MAX_LIMIT));
      url.searchParams.set('offset', String(page.offset ?? 0));
      return (await get(endpoint, accessToken, url, psnTrophyTitlesPageSchema)).data;
    },

    async listTrophyTitles(accessToken, accountId, options = {}) {
      const seen = new Set<string>();
      const titles: PsnTrophyTitle[] = [];
      const { last, pages, complete } = await allPages(
        PSN_TROPHY_ENDPOINTS.trophyTitles,
        (offset) => client.getTrophyTitlesPage(accessToken, accountId, { offset: offset ?? 0 }),
        (page) => {
          let stop = false;
          for (const title of page.trophyTitles) {
            if (options.stopAfter?.(title)) stop = true;
            if (seen.has(title.npCommunicationId)) continue;
            seen.add(title.npCommunicationId);
            titles.push(title);
          }
          return !stop;
        },
      );
      return { titles, totalItemCount: last.totalItemCount, complete, pages };
    },

    async getTitleTrophies(accessToken, title, trophyGroupId = 'all') {
      const endpoint = PSN_TROPHY_ENDPOINTS.titleTrophies;
      const path = `${base}/npCommunicationIds/${titleSegment(endpoint, title)}/trophyGroups/${groupSegment(endpoint, trophyGroupId)}/trophies`;
      const trophies: PsnTitleTrophies['trophies'] = [];
      let first: PsnTitleTrophies | undefined;
      const { last } = await allPages(
        endpoint,
        async (offset) => (await get(endpoint, accessToken, trophyListUrl(path, title.npServiceName, offset), psnTitleTrophiesSchema)).data,
        (page) => {
          first ??= page;
          trophies.push(...page.trophies);
          return true;
        },
      );
      return { ...first!, trophies, totalItemCount: last.totalItemCount, nextOffset: undefined, previousOffset: undefined };
    },

    async getUserTrophies(accessToken, accountId, title, trophyGroupId = 'all') {
      const endpoint = PSN_TROPHY_ENDPOINTS.userTrophies;
      const path = `${base}/users/${accountSegment(endpoint, accountId)}/npCommunicationIds/${titleSegment(endpoint, title)}/trophyGroups/${groupSegment(endpoint, trophyGroupId)}/trophies`;
      const trophies: PsnUserTrophies['trophies'] = [];
      let first: PsnUserTrophies | undefined;
      const { last } = await allPages(
        endpoint,
        async (offset) => (await get(endpoint, accessToken, trophyListUrl(path, title.npServiceName, offset), psnUserTrophiesSchema)).data,
        (page) => {
          first ??= page;
          trophies.push(...page.trophies);
          return true;
        },
      );
      return { ...first!, trophies, totalItemCount: last.totalItemCount, nextOffset: undefined, previousOffset: undefined };
    },

    async getTitleTrophyGroups(accessToken, title) {
      const endpoint = PSN_TROPHY_ENDPOINTS.titleTrophyGroups;
      const url = new URL(`${base}/npCommunicationIds/${titleSegment(endpoint, title)}/trophyGroups`);
      url.searchParams.set('npServiceName', title.npServiceName);
      return (await get(endpoint, accessToken, url, psnTitleTrophyGroupsSchema)).data;
    },

    async getUserTrophyGroups(accessToken, accountId, title) {
      const endpoint = PSN_TROPHY_ENDPOINTS.userTrophyGroups;
      const url = new URL(`${base}/users/${accountSegment(endpoint, accountId)}/npCommunicationIds/${titleSegment(endpoint, title)}/trophyGroups`);
      url.searchParams.set('npServiceName', title.npServiceName);
      return (await get(endpoint, accessToken, url, psnUserTrophyGroupsSchema)).data;
    },
  };
  return client;
}

/** `npServiceName` always (PS5's `trophy2` is the default, but saying it costs nothing); `offset` only past the first page. */
function trophyListUrl(path: string, npServiceName: PsnNpServiceName, offset: number | undefined): URL {
  const url = new URL(path);
  url.searchParams.set('npServiceName', npServiceName);
  if (offset !== undefined) url.searchParams.set('offset', String(offset));
  return url;
}
