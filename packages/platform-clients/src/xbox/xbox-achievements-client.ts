import type { z } from 'zod';
import { createPlatformHttp, type PlatformHttpOptions } from '../http/platform-http.ts';
import { isPlatformError, PlatformError } from '../platform-error.ts';
import {
  xboxAchievementsV1PageSchema,
  xboxAchievementsV2PageSchema,
  xboxHistoryTitlesV2Schema,
  xboxTitlehubTitlesSchema,
  type XboxAchievementV1,
  type XboxAchievementV2,
  type XboxHistoryTitleV2,
  type XboxTitlehubTitle,
} from './xbox-achievement-schemas.ts';
import { classifyXboxServiceError } from './xbox-service-errors.ts';

/** Endpoint ids, as in the recorded fixtures' index (faults, call counts and stats use them). */
export const XBOX_DATA_ENDPOINTS = {
  titlehubHistory: 'xbox.titlehubHistory',
  historyTitles: 'xbox.historyTitles',
  achievements: 'xbox.achievements',
  titleAchievements: 'xbox.titleAchievements',
} as const;

/** What titlehub decorates each title with: progress (`achievement`), images and the service config id. */
export const XBOX_TITLE_HISTORY_DECORATIONS = ['achievement', 'image', 'scid'] as const;

/** The caller's XSTS session: sent as `Authorization: XBL3.0 x={userHash};{xstsToken}`. */
export interface XboxServiceAuth {
  /** Whose data is read (a decimal string); the signed-in user for a sync. */
  xuid: string;
  userHash: string;
  xstsToken: string;
}

export interface XboxAchievementsClientOptions extends Omit<PlatformHttpOptions, 'platform'> {
  /** scheme://host[:port]: https://achievements.xboxlive.com or the sandbox. */
  achievementsBaseUrl: string;
  /** scheme://host[:port]: https://titlehub.xboxlive.com or the sandbox. */
  titlehubBaseUrl: string;
  /** `maxItems` of each achievements / history page (default 1000: what public clients use; Xbox's default is 32). */
  pageSize?: number;
  /** titlehub does not page: one call with this `maxItems` is the whole history (default 10,000). */
  titleHistoryMaxItems?: number;
  /**
   * Contract version for Xbox One/Series achievements: 2 (default; the recorded shape) or 4 (the same
   * plus `rarity`). Xbox 360 titles use `legacyContractVersion`.
   */
  modernContractVersion?: 2 | 4;
  /**
   * Contract version for Xbox 360 titles: 1 (default; the recorded shape) or 3 (the same plus `rarity`),
   * on both `/titleachievements` and `/achievements`.
   */
  legacyContractVersion?: 1 | 3;
  acceptLanguage?: string;
  /**
   * Awaited before every call with the user it is for: Xbox Live counts calls per user and title
   * (≈ 100 per 15 s and 300 per 300 s), so this is where a per-user limiter plugs in.
   */
  beforeUserCall?: (call: { xuid: string; endpoint: string }) => Promise<void>;
  /** A paged listing longer than this is treated as a malformed answer (default 200 pages). */
  maxPages?: number;
}

/** A title the user has no achievements record for (or that Xbox no longer serves) is a result, not an error. */
export type XboxTitleAchievements =
  | { found: true; contract: 2 | 4; achievements: XboxAchievementV2[] }
  | { found: false };

/**
 * Xbox 360 achievements (contract 1, or 3 = 1 + rarity) come in two lists: every definition (`/titleachievements`, which says
 * `unlocked: false` on every row) and the earned ones (`/achievements`). Earned state comes from the latter.
 */
export type Xbox360TitleAchievements =
  | { found: true; contract: 1 | 3; definitions: XboxAchievementV1[]; earned: XboxAchievementV1[] }
  | { found: false };

/** One of the two Xbox 360 lists (definitions or earned), for callers that need them at different times. */
export type Xbox360AchievementList = { found: true; contract: 1 | 3; achievements: XboxAchievementV1[] } | { found: false };

export interface XboxAchievementsClient {
  /** The user's title history with achievement progress and last-played time (one titlehub call). */
  getTitleHistory(auth: XboxServiceAuth): Promise<XboxTitlehubTitle[]>;
  /** Xbox One/Series titles with achievement progress and `lastUnlock` (every page of `/history/titles`). */
  getHistoryTitles(auth: XboxServiceAuth): Promise<XboxHistoryTitleV2[]>;
  /** Every achievement of an Xbox One/Series title with the user's progress (every page). */
  getAchievements(auth: XboxServiceAuth, titleId: string): Promise<XboxTitleAchievements>;
  /** An Xbox 360 title's definitions and the user's earned achievements (contract 1, or 3 with rarity). */
  getXbox360Achievements(auth: XboxServiceAuth, titleId: string): Promise<Xbox360TitleAchievements>;
  /** An Xbox 360 title's definitions alone (`/titleachievements`, every page; `unlocked` is false on every row). */
  getXbox360Definitions(auth: XboxServiceAuth, titleId: string): Promise<Xbox360AchievementList>;
  /** The user's earned achievements in an Xbox 360 title alone (`/achievements`, contract 1/3, every page). */
  getXbox360Earned(auth: XboxServiceAuth, titleId: string): Promise<Xbox360AchievementList>;
}

const DECIMAL_ID = /^\d{1,20}$/;

function requireDecimal(name: string, value: string): string {
  if (!DECIMAL_ID.test(value)) throw new RangeError(`${name} must be a decimal string, got "${value.slice(0, 40)}"`);
  return value;
}

const isNotFound = (error: unknown) => isPlatformError(error) && error.kind === 'not_found' && error.status === 404;

export function createXboxAchievementsClient(options: XboxAchievementsClientOptions): XboxAchievementsClient {
  const {
    achievementsBaseUrl,
    titlehubBaseUrl,
    pageSize = 1000,
    titleHistoryMaxItems = 10_000,
    modernContractVersion = 2,
    legacyContractVersion = 1,
    acceptLanguage = 'en-US',
    beforeUserCall,
    maxPages = 200,
    ...httpOptions
  } = options;
  const http = createPlatformHttp({ ...httpOptions, platform: 'xbox' });
  const fallbackRetryMs = httpOptions.defaultRetryAfterMs ?? 15_000;
  const achievementsBase = achievementsBaseUrl.replace(/\/+$/, '');
  const titlehubBase = titlehubBaseUrl.replace(/\/+$/, '');

  async function get<S extends z.ZodType>(auth: XboxServiceAuth, endpoint: string, url: URL, contract: string, schema: S): Promise<z.output<S>> {
    await beforeUserCall?.({ xuid: auth.xuid, endpoint });
    const { data } = await http.request({
      endpoint,
      url,
      headers: {
        authorization: `XBL3.0 x=${auth.userHash};${auth.xstsToken}`,
        'x-xbl-contract-version': contract,
        accept: 'application/json',
        'accept-language': acceptLanguage,
      },
      schema,
      classify: classifyXboxServiceError(endpoint, fallbackRetryMs),
    });
    return data;
  }

  /** Follows `pagingInfo.continuationToken` (opaque: v1 tokens are composite) until it is null. */
  async function allPages<T, S extends z.ZodType<{ pagingInfo: { continuationToken: string | null } }>>(
    auth: XboxServiceAuth,
    endpoint: string,
    firstUrl: URL,
    contract: string,
    schema: S,
    items: (page: z.output<S>) => T[],
  ): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let token: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const url = new URL(firstUrl);
      if (token !== null) url.searchParams.set('continuationToken', token);
      const data = await get(auth, endpoint, url, contract, schema);
      out.push(...items(data));
      token = data.pagingInfo.continuationToken;
      if (token === null || token === '') return out;
      if (seen.has(token)) {
        throw new PlatformError({ kind: 'malformed', platform: 'xbox', endpoint, status: 200, message: `${endpoint}: continuation token repeated; paging would not end` });
      }
      seen.add(token);
    }
    throw new PlatformError({ kind: 'malformed', platform: 'xbox', endpoint, status: 200, message: `${endpoint}: more than ${maxPages} pages` });
  }

  const userPath = (base: string, auth: XboxServiceAuth, rest: string) => new URL(`${base}/users/xuid(${requireDecimal('xuid', auth.xuid)})/${rest}`);

  const achievementsUrl = (auth: XboxServiceAuth, resource: 'achievements' | 'titleachievements', titleId: string) => {
    const url = userPath(achievementsBase, auth, resource);
    url.searchParams.set('titleId', requireDecimal('titleId', titleId));
    url.searchParams.set('maxItems', String(pageSize));
    return url;
  };

  return {
    async getTitleHistory(auth) {
      const url = userPath(titlehubBase, auth, `titles/titlehistory/decoration/${XBOX_TITLE_HISTORY_DECORATIONS.join(',')}`);
      url.searchParams.set('maxItems', String(titleHistoryMaxItems));
      const data = await get(auth, XBOX_DATA_ENDPOINTS.titlehubHistory, url, '2', xboxTitlehubTitlesSchema);
      return data.titles;
    },

    async getHistoryTitles(auth) {
      const url = userPath(achievementsBase, auth, 'history/titles');
      url.searchParams.set('maxItems', String(pageSize));
      return allPages(auth, XBOX_DATA_ENDPOINTS.historyTitles, url, '2', xboxHistoryTitlesV2Schema, (page) => page.titles);
    },

    async getAchievements(auth, titleId) {
      try {
        const achievements = await allPages(
          auth,
          XBOX_DATA_ENDPOINTS.achievements,
          achievementsUrl(auth, 'achievements', titleId),
          String(modernContractVersion),
          xboxAchievementsV2PageSchema,
          (page) => page.achievements,
        );
        return { found: true, contract: modernContractVersion, achievements };
      } catch (error) {
        if (isNotFound(error)) return { found: false };
        throw error;
      }
    },

    async getXbox360Achievements(auth, titleId) {
      const definitions = await legacyDefinitions(auth, titleId);
      if (!definitions) return { found: false };
      const earned = await legacyEarned(auth, titleId);
      if (!earned) return { found: false };
      return { found: true, contract: legacyContractVersion, definitions, earned };
    },

    async getXbox360Definitions(auth, titleId) {
      const achievements = await legacyDefinitions(auth, titleId);
      return achievements ? { found: true, contract: legacyContractVersion, achievements } : { found: false };
    },

    async getXbox360Earned(auth, titleId) {
      const achievements = await legacyEarned(auth, titleId);
      return achievements ? { found: true, contract: legacyContractVersion, achievements } : { found: false };
    },
  };

  /** undefined: the title answered 404. */
  async function notFoundAsUndefined<T>(load: () => Promise<T>): Promise<T | undefined> {
    try {
      return await load();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  function legacyDefinitions(auth: XboxServiceAuth, titleId: string) {
    return notFoundAsUndefined(() =>
      allPages(auth, XBOX_DATA_ENDPOINTS.titleAchievements, achievementsUrl(auth, 'titleachievements', titleId), String(legacyContractVersion), xboxAchievementsV1PageSchema, (page) => page.achievements),
    );
  }

  function legacyEarned(auth: XboxServiceAuth, titleId: string) {
    return notFoundAsUndefined(() =>
      allPages(auth, XBOX_DATA_ENDPOINTS.achievements, achievementsUrl(auth, 'achievements', titleId), String(legacyContractVersion), xboxAchievementsV1PageSchema, (page) =>
        page.achievements.filter((a) => a.unlocked || a.unlockedOnline === true),
      ),
    );
  }
}
