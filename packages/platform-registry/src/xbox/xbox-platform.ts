import { z } from 'zod';
import {
  createXboxAchievementsClient,
  createXboxAuthClient,
  linkXboxAccount,
  type XboxAchievementsClient,
  type XboxAuthClient,
} from '@ach/platform-clients';
import { syncQueueName } from '@ach/queue';
import { LINK_TIMEOUT_MS } from '../link-timeout.ts';
import { notConfigured } from '../not-configured.ts';
import type { ClientHooks, PlatformLinking, PlatformModule } from '../platform-module.ts';
import { xboxEnv, type XboxEnv } from './xbox-env.ts';

export interface XboxClient {
  /** Throws kind `config` when XBOX_CLIENT_ID is unset: nothing can refresh a user's token then. */
  auth(): XboxAuthClient;
  achievements: XboxAchievementsClient;
}

function createXboxClient(env: XboxEnv, hooks: ClientHooks): XboxClient {
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
    achievements: createXboxAchievementsClient({ achievementsBaseUrl: env.XBOX_ACHIEVEMENTS_BASE_URL, titlehubBaseUrl: env.XBOX_TITLEHUB_BASE_URL, ...hooks }),
  };
}

const xboxLinkBody = z.strictObject({ refreshToken: z.string().trim().min(10).max(8192) });

/** Microsoft hands tokens only to the account's owner: the link proves ownership. */
const xboxLinking: PlatformLinking<XboxEnv, z.output<typeof xboxLinkBody>> = {
  bodySchema: xboxLinkBody,
  summary: 'Link Xbox: Microsoft refresh token → user token → XSTS, stored encrypted',
  provesOwnership: true,
  link: async (body, { env }) =>
    linkXboxAccount({ refreshToken: body.refreshToken }, { xboxAuth: createXboxClient(env, { timeoutMs: LINK_TIMEOUT_MS }).auth() }),
};

/** Xbox Live. No adapter yet (the Xbox sync issue adds it): its jobs wait in `sync-xbox`. */
export const xbox: PlatformModule<XboxEnv, XboxClient> = {
  id: 2,
  slug: 'xbox',
  displayName: 'Xbox Live',
  queueName: syncQueueName('xbox'),
  env: xboxEnv,
  createClient: createXboxClient,
  linking: xboxLinking,
};
