import type { XboxAchievementV1, XboxAchievementV2, XboxServiceAuth } from '@ach/platform-clients';
import {
  credentialSessionsPerJob,
  isKeyedRateLimiter,
  TitleGoneError,
  type AchievementRarity,
  type AdapterAccount,
  type PlatformAdapter,
  type PlatformIdentity,
  type RateLimiter,
  type TitleSummary,
} from '@ach/sync-engine';
import { XBOX_TITLE_HISTORY_LIMIT, type XboxClient } from './xbox-client-factory.ts';
import { mapXbox360Achievements, mapXboxModernAchievements, xboxContractOf, xboxTitleSummary } from './xbox-mapping.ts';
import { createXboxSession, xboxServiceAuth } from './xbox-session.ts';

/**
 * Xbox Live → the engine.
 *
 * Listing: titlehub's title history (one call: every title with Xbox's achievement count, gamerscore,
 * percentage and last time played) plus `/history/titles` (contract 2, every page) for the last unlock
 * of Xbox One/Series titles — asked only when some such title has an unlock. The change marker is what
 * these report: count | gamerscore | last unlock (or last played). A sync with nothing new costs these
 * one or two calls and writes nothing.
 *
 * Per title, by achievement system (titlehub's `sourceVersion`):
 * - Xbox One/Series: `/achievements`, contract 4 — contract 2's shape plus `rarity.currentPercentage`
 *   (2 has no rarity at all) — every page by `continuationToken`. One answer holds the definitions and
 *   the user's progress, so a title whose definitions are fetched keeps the list for its unlocks: one
 *   call (or one per 1,000 achievements) per title.
 * - Xbox 360: contract 3 — contract 1's shape plus rarity — `/titleachievements` (every definition)
 *   and `/achievements` (the user's earned ones). Both are read for the definitions (an earned
 *   achievement the definitions lack is still defined); the earned list is kept for the unlocks.
 * Unlocks report the rarity their answer carried, so cached definitions get fresh rarity with every
 * sync of the title at no extra call. A title Xbox answers 404 for is skipped (`TitleGoneError`).
 *
 * Tokens: `xbox-session.ts`. Call budget: with a keyed limiter (`workerLimiter`), every data call runs
 * inside `limiter.within(<xuid>:<service>)`: Xbox Live counts calls per user for the calling title
 * (this app: one title) and service, so titlehub and achievements have separate budgets. A 429 blocks
 * that key on every replica, is sat out when short and otherwise delays the job (not an attempt).
 */
export interface XboxAdapterOptions {
  platform: PlatformIdentity;
  client: XboxClient;
  /** The module's `workerLimiter`; a keyed one paces each user's calls. */
  limiter?: RateLimiter;
  now?: () => number;
}

type XboxService = 'titlehub' | 'achievements';

/** A list fetched with a title's definitions, waiting for that title's unlocks (taken once). */
type PendingList = { kind: 'modern'; achievements: XboxAchievementV2[] } | { kind: 'x360'; earned: XboxAchievementV1[] };

const isX360 = (title: TitleSummary) => title.gameData?.contract === 1;

function rarityOf(list: readonly { id: number | string; rarity?: { currentPercentage: number } | undefined }[]): AchievementRarity[] {
  return list.filter((a) => a.rarity).map((a) => ({ platformAchievementId: String(a.id), rarityPercentage: a.rarity!.currentPercentage }));
}

export function createXboxAdapter(options: XboxAdapterOptions): PlatformAdapter {
  const { client } = options;
  const keyed = isKeyedRateLimiter(options.limiter) ? options.limiter : undefined;
  const sessionOf = credentialSessionsPerJob((account) => createXboxSession(account, { auth: () => client.auth(), now: options.now }));
  // Per job (a new AdapterAccount each run): dropped with the job.
  const pendingByJob = new WeakMap<AdapterAccount, Map<string, PendingList>>();
  const pendingOf = (account: AdapterAccount) => {
    let pending = pendingByJob.get(account);
    if (!pending) pendingByJob.set(account, (pending = new Map()));
    return pending;
  };

  /** One data call (its pages included): live XSTS session outside, the user's call budget inside. */
  function call<T>(account: AdapterAccount, service: XboxService, fn: (auth: XboxServiceAuth) => Promise<T>): Promise<T> {
    return sessionOf(account).call((credentials) => {
      const run = () => fn(xboxServiceAuth(account, credentials));
      return keyed ? keyed.within(`${account.externalAccountId}:${service}`, run) : run();
    });
  }

  const gone = (title: TitleSummary) => new TitleGoneError(title.platformGameId, { message: `Xbox Live answers 404 for title ${title.platformGameId}` });

  async function modernList(account: AdapterAccount, title: TitleSummary): Promise<XboxAchievementV2[]> {
    const result = await call(account, 'achievements', (auth) => client.achievements.getAchievements(auth, title.platformGameId));
    if (!result.found) throw gone(title);
    return result.achievements;
  }

  async function x360Earned(account: AdapterAccount, title: TitleSummary): Promise<XboxAchievementV1[]> {
    const result = await call(account, 'achievements', (auth) => client.achievements.getXbox360Earned(auth, title.platformGameId));
    if (!result.found) throw gone(title);
    return result.achievements;
  }

  return {
    platform: options.platform,

    // titlehub is not sorted by what the marker is made of and answers in one call: nothing to stop early on.
    async listTitles(account) {
      const history = await call(account, 'titlehub', (auth) => client.achievements.getTitleHistory(auth));
      const lastUnlocks = new Map<string, string>();
      if (history.some((t) => xboxContractOf(t) === 2 && (t.achievement?.currentAchievements ?? 0) > 0)) {
        const titles = await call(account, 'achievements', (auth) => client.achievements.getHistoryTitles(auth));
        for (const t of titles) lastUnlocks.set(String(t.titleId), t.lastUnlock);
      }
      return { titles: history.map((t) => xboxTitleSummary(t, lastUnlocks.get(t.titleId))), complete: history.length < XBOX_TITLE_HISTORY_LIMIT };
    },

    async fetchGameMetadata(account, title) {
      const pending = pendingOf(account);
      if (isX360(title)) {
        const definitions = await call(account, 'achievements', (auth) => client.achievements.getXbox360Definitions(auth, title.platformGameId));
        if (!definitions.found) throw gone(title);
        const earned = await x360Earned(account, title);
        const mapped = mapXbox360Achievements(definitions.achievements, earned);
        if (mapped.achievements.length > 0) pending.set(title.platformGameId, { kind: 'x360', earned });
        return { achievements: mapped.achievements };
      }
      const achievements = await modernList(account, title);
      if (achievements.length > 0) pending.set(title.platformGameId, { kind: 'modern', achievements });
      return { achievements: mapXboxModernAchievements(achievements).achievements };
    },

    async fetchUserUnlocks(account, title) {
      const pending = pendingOf(account);
      const kept = pending.get(title.platformGameId);
      pending.delete(title.platformGameId);
      if (isX360(title)) {
        const earned = kept?.kind === 'x360' ? kept.earned : await x360Earned(account, title);
        return { unlocks: mapXbox360Achievements([], earned).unlocks, rarity: rarityOf(earned) };
      }
      const achievements = kept?.kind === 'modern' ? kept.achievements : await modernList(account, title);
      return { unlocks: mapXboxModernAchievements(achievements).unlocks, rarity: rarityOf(achievements) };
    },
  };
}
