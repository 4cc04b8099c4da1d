import {
  createPsnAuthClient,
  createSteamClient,
  createSteamOpenIdClient,
  createXboxAuthClient,
  linkPsnAccount,
  linkXboxAccount,
  PlatformError,
  resolveSteamAccount,
  STEAM_ENDPOINTS,
} from '@ach/platform-clients';
import type { AccountLinking } from './account-linking.ts';

export interface PlatformLinkingConfig {
  STEAM_API_KEY?: string;
  STEAM_API_BASE_URL: string;
  PSN_AUTH_BASE_URL: string;
  PSN_API_BASE_URL: string;
  XBOX_CLIENT_ID?: string;
  XBOX_MSA_BASE_URL: string;
  XBOX_USER_AUTH_BASE_URL: string;
  XBOX_XSTS_BASE_URL: string;
  XBOX_PROFILE_BASE_URL: string;
  /** Steam's OpenID provider; unset → no Steam sign-in (the routes answer 503). */
  STEAM_OPENID_BASE_URL?: string;
}

/** Linking needs the platform to answer while the user waits: keep each call short. */
const LINK_TIMEOUT_MS = 8_000;

const notConfigured = (platform: 'steam' | 'xbox', variable: string) =>
  new PlatformError({ kind: 'config', platform, endpoint: `${platform}.config`, message: `${variable} is not set` });

/** The real platform link functions from @ach/platform-clients, wired to the configured base URLs. */
export function createPlatformLinking(config: PlatformLinkingConfig): AccountLinking {
  const psnAuth = createPsnAuthClient({ authBaseUrl: config.PSN_AUTH_BASE_URL, apiBaseUrl: config.PSN_API_BASE_URL, http: { timeoutMs: LINK_TIMEOUT_MS } });
  const xboxAuth = config.XBOX_CLIENT_ID
    ? createXboxAuthClient({
        clientId: config.XBOX_CLIENT_ID,
        msaBaseUrl: config.XBOX_MSA_BASE_URL,
        userAuthBaseUrl: config.XBOX_USER_AUTH_BASE_URL,
        xstsBaseUrl: config.XBOX_XSTS_BASE_URL,
        profileBaseUrl: config.XBOX_PROFILE_BASE_URL,
        http: { timeoutMs: LINK_TIMEOUT_MS },
      })
    : undefined;
  const steam = config.STEAM_API_KEY
    ? createSteamClient({ baseUrl: config.STEAM_API_BASE_URL, apiKey: config.STEAM_API_KEY, timeoutMs: LINK_TIMEOUT_MS })
    : undefined;

  const steamOpenId = config.STEAM_OPENID_BASE_URL
    ? createSteamOpenIdClient({ baseUrl: config.STEAM_OPENID_BASE_URL, timeoutMs: LINK_TIMEOUT_MS })
    : undefined;

  return {
    psn: (input) => linkPsnAccount(input, { psnAuth }),
    xbox: async (input) => {
      if (!xboxAuth) throw notConfigured('xbox', 'XBOX_CLIENT_ID');
      return linkXboxAccount(input, { xboxAuth });
    },
    steam: async (input) => {
      if (!steam) throw notConfigured('steam', 'STEAM_API_KEY');
      return resolveSteamAccount(input, { steam });
    },
    ...(steamOpenId && {
      steamOpenId: {
        loginUrl: (input) => steamOpenId.loginUrl(input),
        parseAssertion: (query, expected) => steamOpenId.parseAssertion(query, expected),
        checkAuthentication: (assertion) => steamOpenId.checkAuthentication(assertion),
        // Ownership is proven, so a private profile is linked too: its syncs then ask the user to make
        // it public (profile_private), without another sign-in.
        profile: async (steamId) => {
          if (!steam) throw notConfigured('steam', 'STEAM_API_KEY');
          const [profile] = (await steam.getPlayerSummaries([steamId])).filter((p) => p.steamId === steamId);
          if (!profile) {
            throw new PlatformError({ kind: 'not_found', platform: 'steam', endpoint: STEAM_ENDPOINTS.getPlayerSummaries, message: `Steam profile ${steamId} does not exist` });
          }
          return { externalAccountId: steamId, displayName: profile.personaName, avatarUrl: profile.avatarUrl || null };
        },
      },
    }),
  };
}
