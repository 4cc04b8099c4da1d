import type { SteamAccountInput, SteamOpenIdAssertion } from '@ach/platform-clients';
/** What a platform says about the account a user just proved they own. */
export interface LinkedAccount {
  externalAccountId: string;
  displayName: string | null;
  avatarUrl: string | null;
  /** Tokens to keep for the worker; sealed before they touch the database, never returned. */
  credentials?: object;
  tokenExpiresAt?: Date | string | null;
  refreshExpiresAt?: Date | string | null;
}

/**
 * The platform link functions the accounts routes call; they throw `PlatformError` on refusal.
 * Injected so the app is built against the real clients in production and the sandbox in tests.
 */
export interface AccountLinking {
  psn(input: { npsso: string }): Promise<LinkedAccount>;
  xbox(input: { refreshToken: string }): Promise<LinkedAccount>;
  steam(input: SteamAccountInput): Promise<LinkedAccount>;
  /** Steam sign-in (OpenID 2.0), the linking path that proves ownership; absent → the routes answer 503. */
  steamOpenId?: SteamOpenIdLinking;
}

/** What the Steam sign-in routes need from the platform: the provider's page, its verification, the profile. */
export interface SteamOpenIdLinking {
  loginUrl(input: { returnTo: string; realm: string }): string;
  /** Local checks of the callback's query (no network); throws SteamOpenIdRejectedError. */
  parseAssertion(query: unknown, expected: { returnTo: string }): SteamOpenIdAssertion;
  /** check_authentication with the provider; throws SteamOpenIdRejectedError or PlatformError. */
  checkAuthentication(assertion: SteamOpenIdAssertion): Promise<void>;
  /** Name and avatar of a SteamID64 whose ownership was just proven; a private profile is accepted. */
  profile(steamId: string): Promise<LinkedAccount>;
}

