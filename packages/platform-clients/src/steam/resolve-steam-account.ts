import { PlatformError } from '../platform-error.ts';
import { STEAM_ENDPOINTS, type SteamClient } from './steam-client.ts';
import { isSteamId64, isSteamVanityName } from './steam-id.ts';

export type SteamAccountInput = { steamId: string } | { vanity: string };

export interface ResolvedSteamAccount {
  /** The SteamID64, as a string. */
  externalAccountId: string;
  displayName: string;
  avatarUrl: string | null;
}

/** Input that can never name a Steam account: the API answers it as a client error, without calling Steam. */
export const INVALID_STEAM_ID_CODE = 'invalid_steam_id';

const PROFILE_URL = /^(?:https?:\/\/)?(?:www\.)?steamcommunity\.com\/(profiles|id)\/([^/?#]+)\/?(?:[?#].*)?$/i;

/**
 * What linking a Steam account needs: a SteamID64 (given, or resolved from a vanity name / profile URL)
 * whose profile exists and is public, since only a public profile's games and achievements are readable
 * with a Web API key.
 *
 * Throws PlatformError: kind `not_found` (code `invalid_steam_id` for malformed input, `account_not_found`
 * for no such profile), kind `private` (code `profile_private`), or whatever the client threw (config,
 * rate_limited, transient, malformed).
 */
export async function resolveSteamAccount(input: SteamAccountInput, deps: { steam: SteamClient }): Promise<ResolvedSteamAccount> {
  const steamId = await steamIdFor(input, deps.steam);
  const endpoint = STEAM_ENDPOINTS.getPlayerSummaries;
  const [profile] = (await deps.steam.getPlayerSummaries([steamId])).filter((p) => p.steamId === steamId);
  if (!profile) {
    throw new PlatformError({ kind: 'not_found', platform: 'steam', endpoint, message: `Steam profile ${steamId} does not exist` });
  }
  if (!profile.isPublic) {
    throw new PlatformError({
      kind: 'private',
      platform: 'steam',
      endpoint,
      code: 'profile_private',
      message: `Steam profile ${steamId} is not public (communityvisibilitystate ${profile.communityVisibilityState})`,
    });
  }
  return { externalAccountId: steamId, displayName: profile.personaName, avatarUrl: profile.avatarUrl || null };
}

async function steamIdFor(input: SteamAccountInput, steam: SteamClient): Promise<string> {
  const raw = ('steamId' in input ? input.steamId : input.vanity).trim();
  // People paste their profile URL into either field.
  const url = PROFILE_URL.exec(raw);
  const asSteamId = url ? (url[1]!.toLowerCase() === 'profiles' ? url[2]! : undefined) : 'steamId' in input ? raw : undefined;
  const asVanity = url ? (url[1]!.toLowerCase() === 'id' ? decodeURIComponent(url[2]!) : undefined) : 'vanity' in input ? raw : undefined;

  if (asSteamId !== undefined) {
    if (!isSteamId64(asSteamId)) throw invalid(`"${asSteamId.slice(0, 40)}" is not a SteamID64 (17 digits starting 7656119)`);
    return asSteamId;
  }
  if (asVanity === undefined || !isSteamVanityName(asVanity)) {
    throw invalid(`"${(asVanity ?? raw).slice(0, 40)}" is not a Steam vanity name`);
  }
  const resolved = await steam.resolveVanityUrl(asVanity);
  if (resolved === null) {
    throw new PlatformError({
      kind: 'not_found',
      platform: 'steam',
      endpoint: STEAM_ENDPOINTS.resolveVanityUrl,
      message: `No Steam profile has the vanity name "${asVanity}"`,
    });
  }
  if (!isSteamId64(resolved)) {
    throw new PlatformError({
      kind: 'malformed',
      platform: 'steam',
      endpoint: STEAM_ENDPOINTS.resolveVanityUrl,
      message: `ResolveVanityURL returned "${resolved.slice(0, 40)}", not a SteamID64`,
    });
  }
  return resolved;
}

function invalid(message: string): PlatformError {
  return new PlatformError({ kind: 'not_found', platform: 'steam', endpoint: 'steam.input', code: INVALID_STEAM_ID_CODE, message });
}
