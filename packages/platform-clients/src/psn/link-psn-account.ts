import type { PsnCredentials } from './psn-auth-schemas.ts';
import type { PsnAuthClient } from './psn-auth-client.ts';

export interface PsnLinkedAccount {
  /** PSN accountId, a numeric string (never a JS number). */
  externalAccountId: string;
  /** The onlineId. */
  displayName: string;
  avatarUrl: string | null;
  /** To be sealed with the credential cipher; never logged. */
  credentials: PsnCredentials;
  tokenExpiresAt: Date;
  refreshExpiresAt: Date;
}

/**
 * NPSSO → authorization code → tokens → who this is. Errors are `PlatformError`s: a rejected NPSSO is
 * kind `auth` / code `invalid_credentials`; rate limits, outages and odd answers keep their own kinds.
 */
export async function linkPsnAccount(input: { npsso: string }, deps: { psnAuth: PsnAuthClient }): Promise<PsnLinkedAccount> {
  const tokens = await deps.psnAuth.exchangeNpsso(input.npsso.trim());
  const me = await deps.psnAuth.getMe(tokens.accessToken);
  return {
    externalAccountId: me.accountId,
    displayName: me.onlineId,
    avatarUrl: me.avatarUrl,
    credentials: {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: tokens.accessExpiresAt.toISOString(),
      refreshExpiresAt: tokens.refreshExpiresAt.toISOString(),
    },
    tokenExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
  };
}
