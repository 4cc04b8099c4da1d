import { parseEnv } from '@ach/config';
import { createSteamOpenIdClient, PlatformError, STEAM_ENDPOINTS } from '@ach/platform-clients';
import { LINK_TIMEOUT_MS, steam, type PlatformRegistry, type SteamEnv } from '@ach/platform-registry';
import type { AccountLinking, SteamOpenIdLinking } from './account-linking.ts';

/**
 * The registry's link functions, each bound to its platform's env piece (parsed here from `env`: the
 * API's parsed environment, or in a test just the variables it sets). A piece that does not parse
 * throws ConfigError naming the variable.
 */
export function createPlatformLinking(
  platforms: PlatformRegistry,
  env: Record<string, unknown> & {
    /** Steam's OpenID provider; unset → no Steam sign-in (the routes answer 503). */
    STEAM_OPENID_BASE_URL?: string;
  },
): AccountLinking {
  const envBySlug = new Map(platforms.modules.map((module) => [module.slug, parseEnv(module.env, env as NodeJS.ProcessEnv)]));
  const steamOpenId = platforms.has(steam.slug) && env.STEAM_OPENID_BASE_URL
    ? createSteamOpenIdLinking(env.STEAM_OPENID_BASE_URL, envBySlug.get(steam.slug) as SteamEnv)
    : undefined;
  return {
    link: async (slug, body) => {
      const module = platforms.bySlug(slug);
      if (!module.linking) throw new PlatformError({ kind: 'config', platform: slug, endpoint: `${slug}.config`, message: 'the platform has no linking' });
      return module.linking.link(body, { env: envBySlug.get(slug) });
    },
    ...(steamOpenId && { steamOpenId }),
  };
}

function createSteamOpenIdLinking(openIdBaseUrl: string, steamEnv: SteamEnv): SteamOpenIdLinking {
  const openid = createSteamOpenIdClient({ baseUrl: openIdBaseUrl, timeoutMs: LINK_TIMEOUT_MS });
  return {
    loginUrl: (input) => openid.loginUrl(input),
    parseAssertion: (query, expected) => openid.parseAssertion(query, expected),
    checkAuthentication: (assertion) => openid.checkAuthentication(assertion),
    // Ownership is proven, so a private profile is linked too: its syncs then ask the user to make
    // it public (profile_private), without another sign-in.
    profile: async (steamId) => {
      const client = steam.createClient(steamEnv, { timeoutMs: LINK_TIMEOUT_MS });
      const [profile] = (await client.getPlayerSummaries([steamId])).filter((p) => p.steamId === steamId);
      if (!profile) {
        throw new PlatformError({ kind: 'not_found', platform: 'steam', endpoint: STEAM_ENDPOINTS.getPlayerSummaries, message: `Steam profile ${steamId} does not exist` });
      }
      return { externalAccountId: steamId, displayName: profile.personaName, avatarUrl: profile.avatarUrl || null };
    },
  };
}
