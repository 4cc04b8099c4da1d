import { createSteamClient, type SteamClient } from '@ach/platform-clients';
import type { ClientHooks } from '../platform-module.ts';
import { notConfigured } from '../not-configured.ts';
import type { SteamEnv } from './steam-env.ts';

/** Throws kind `config` without a key: the API may run without one (Steam links then answer 503). */
export function createSteamPlatformClient(env: SteamEnv, hooks: ClientHooks): SteamClient {
  if (!env.STEAM_API_KEY) throw notConfigured('steam', 'STEAM_API_KEY');
  return createSteamClient({ baseUrl: env.STEAM_API_BASE_URL, apiKey: env.STEAM_API_KEY, ...hooks });
}
