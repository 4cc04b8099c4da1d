import type { Platform } from '@ach/db';
import type { SteamOpenIdAssertion } from '@ach/platform-clients';
import type { LinkedAccount } from '@ach/platform-registry';

export type { LinkedAccount } from '@ach/platform-registry';

/**
 * What the accounts routes call to prove an account; it throws `PlatformError` on refusal. Injected
 * so the app is built against the real platforms in production (`createPlatformLinking`) and
 * against the sandbox, or a refusing stand-in, in tests.
 */
export interface AccountLinking {
  /** `PUT /accounts/<platform>`: `body` has passed the module's `linking.bodySchema`. */
  link(platform: Platform, body: unknown): Promise<LinkedAccount>;
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
