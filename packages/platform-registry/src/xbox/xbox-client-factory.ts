import { createXboxAchievementsClient, createXboxAuthClient, type XboxAchievementsClient, type XboxAuthClient } from '@ach/platform-clients';
import { notConfigured } from '../not-configured.ts';
import type { ClientHooks } from '../platform-module.ts';
import type { XboxEnv } from './xbox-env.ts';

export interface XboxClient {
  /** Throws kind `config` when XBOX_CLIENT_ID is unset: nothing can refresh a user's token then. */
  auth(): XboxAuthClient;
  achievements: XboxAchievementsClient;
}

/** titlehub does not page: one call with this `maxItems` is the whole history (a longer one is cut short). */
export const XBOX_TITLE_HISTORY_LIMIT = 10_000;

/**
 * The Xbox One/Series and Xbox 360 contracts that carry `rarity.currentPercentage` (4 and 3): the same
 * shapes as the recorded 2 and 1 plus rarity, which 2 and 1 lack altogether.
 */
export const XBOX_MODERN_CONTRACT = 4;
export const XBOX_LEGACY_CONTRACT = 3;

export function createXboxClient(env: XboxEnv, hooks: ClientHooks): XboxClient {
  const { XBOX_CLIENT_ID: clientId } = env;
  const auth = clientId
    ? createXboxAuthClient({
        clientId,
        msaBaseUrl: env.XBOX_MSA_BASE_URL,
        userAuthBaseUrl: env.XBOX_USER_AUTH_BASE_URL,
        xstsBaseUrl: env.XBOX_XSTS_BASE_URL,
        profileBaseUrl: env.XBOX_PROFILE_BASE_URL,
        http: hooks,
      })
    : undefined;
  return {
    auth: () => {
      if (!auth) throw notConfigured('xbox', 'XBOX_CLIENT_ID');
      return auth;
    },
    achievements: createXboxAchievementsClient({
      achievementsBaseUrl: env.XBOX_ACHIEVEMENTS_BASE_URL,
      titlehubBaseUrl: env.XBOX_TITLEHUB_BASE_URL,
      modernContractVersion: XBOX_MODERN_CONTRACT,
      legacyContractVersion: XBOX_LEGACY_CONTRACT,
      titleHistoryMaxItems: XBOX_TITLE_HISTORY_LIMIT,
      ...hooks,
    }),
  };
}
