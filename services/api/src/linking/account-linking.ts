import type { SteamAccountInput } from '@ach/platform-clients';
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
}

