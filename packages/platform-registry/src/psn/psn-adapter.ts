import { isPlatformError, type PsnTitleRef, type PsnTrophyTitle } from '@ach/platform-clients';
import type { Logger } from '@ach/observability';
import {
  credentialSessionsPerJob,
  TitleGoneError,
  type AdapterAccount,
  type KeyedRateLimiter,
  type PlatformAdapter,
  type PlatformIdentity,
  type TitleSummary,
} from '@ach/sync-engine';
import { psnAchievements, psnChangeMarker, psnEarnedUnlocks, psnGameGroups, psnRarity, psnTitleSummary } from './psn-mapping.ts';
import type { PsnClient } from './psn-platform.ts';
import { createPsnSession } from './psn-session.ts';

export interface PsnAdapterOptions {
  client: PsnClient;
  platform: PlatformIdentity;
  /** The module's keyed window limiter (`PSN_RATE_LIMIT_*` per account); absent → calls are not paced. */
  limiter?: KeyedRateLimiter;
  log: Logger;
  now?: () => number;
  /**
   * An incremental listing stops only at an unchanged title older than the last succeeded run's start
   * minus this (default 1 h): PSN's clock and ours need not agree to the second.
   */
  clockMarginMs?: number;
  refreshBeforeMs?: number;
}

/**
 * PSN → the engine's shapes, one call per thing:
 *
 * - **List**: `trophyTitles` pages of 800, newest `lastUpdatedDateTime` first. In incremental mode it stops
 *   at the first title that is unchanged (stored marker equal) AND older than the start of the last run
 *   that succeeded (`syncedThrough`, minus a clock margin): that run stored everything older, so the rest
 *   of the list can only hold unchanged titles. Without a succeeded run (a first sync, even one that was
 *   interrupted after writing the newest titles) it pages the whole list. `full` always pages it all.
 * - **Definitions** (shared by every user, cached by the engine): `titleTrophies` (all groups), plus
 *   `titleTrophyGroups` for the DLC names only when the set has DLC groups (`hasTrophyGroups`); a set
 *   without names its `default` group as the title. Each asked with the title's own `npServiceName`
 *   (`trophy` for PS3/PS4/Vita, `trophy2` for PS5), or PSN answers 404.
 * - **The user's trophies**: ONE `userTrophies` call (all groups) gives the earned state and
 *   `trophyEarnedRate`; the rarity goes to the engine with the unlocks (`UserUnlocks.rarity`), which puts
 *   it into the definitions — so no title is ever asked for twice.
 * - A 404 for one title is `TitleGoneError` (skipped and counted, the run goes on); 403 (2240526) stays
 *   `profile_private`; 401 refreshes once (psn-session.ts); 429 blocks the account's budget until
 *   `X-RateLimit-Next-Available` (the keyed limiter), then the call is asked again or the job delayed.
 */
export function createPsnAdapter(options: PsnAdapterOptions): PlatformAdapter {
  const { client, platform, limiter } = options;
  const now = options.now ?? Date.now;
  const clockMarginMs = options.clockMarginMs ?? 3_600_000;
  const sessionFor = credentialSessionsPerJob((account) => createPsnSession(account, { auth: client.auth, now, refreshBeforeMs: options.refreshBeforeMs }));
  // The raw list entries of each job: the per-title calls need their npServiceName and group flag.
  const listedByJob = new WeakMap<AdapterAccount, Map<string, PsnTrophyTitle>>();

  /** One PSN request (its pages included) against the account's budget, with a token good for it. */
  const call = <T>(account: AdapterAccount, fn: (accessToken: string) => Promise<T>): Promise<T> => {
    const session = sessionFor(account);
    const run = () => session.call((credentials) => fn(credentials.accessToken));
    return limiter ? limiter.within(account.externalAccountId, run) : run();
  };

  /** A per-title 404: the title is gone (or not on this account any more); the engine skips it. */
  const perTitle = async <T>(title: TitleSummary, fetch: () => Promise<T>): Promise<T> => {
    try {
      return await fetch();
    } catch (error) {
      if (isPlatformError(error) && error.kind === 'not_found') throw new TitleGoneError(title.platformGameId, { cause: error });
      throw error;
    }
  };

  const refOf = (account: AdapterAccount, title: TitleSummary): { ref: PsnTitleRef; listed: PsnTrophyTitle | undefined } => {
    const listed = listedByJob.get(account)?.get(title.platformGameId);
    const npServiceName = listed?.npServiceName ?? (title.gameData?.npServiceName === 'trophy' ? 'trophy' : 'trophy2');
    return { ref: { npCommunicationId: title.platformGameId, npServiceName }, listed };
  };

  return {
    platform,

    async listTitles(account, { mode, storedMarkers, syncedThrough }) {
      const stopBefore = mode === 'incremental' && syncedThrough ? syncedThrough.getTime() - clockMarginMs : null;
      const stopAfter =
        stopBefore === null
          ? undefined
          : (title: PsnTrophyTitle) => Date.parse(title.lastUpdatedDateTime) < stopBefore && storedMarkers.get(title.npCommunicationId) === psnChangeMarker(title);
      const list = await call(account, (token) => client.trophies.listTrophyTitles(token, account.externalAccountId, { stopAfter }));
      listedByJob.set(account, new Map(list.titles.map((t) => [t.npCommunicationId, t])));
      return { titles: list.titles.map(psnTitleSummary), complete: list.complete };
    },

    async fetchGameMetadata(account, title) {
      const { ref, listed } = refOf(account, title);
      return perTitle(title, async () => {
        const [definitions, groups] = await Promise.all([
          call(account, (token) => client.trophies.getTitleTrophies(token, ref)),
          listed?.hasTrophyGroups === false ? Promise.resolve(undefined) : call(account, (token) => client.trophies.getTitleTrophyGroups(token, ref)),
        ]);
        return { achievements: psnAchievements(definitions), gameData: { groups: psnGameGroups(definitions, groups, listed) } };
      });
    },

    async fetchUserUnlocks(account, title) {
      const { ref } = refOf(account, title);
      const mine = await perTitle(title, () => call(account, (token) => client.trophies.getUserTrophies(token, account.externalAccountId, ref)));
      return { unlocks: psnEarnedUnlocks(mine), rarity: psnRarity(mine) };
    },
  };
}
