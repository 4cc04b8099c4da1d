import { isPlatformError } from '../platform-error.ts';
import type { XboxCredentials } from './xbox-auth-schemas.ts';
import type { XboxAuthClient } from './xbox-auth-client.ts';

export interface XboxLinkedAccount {
  /** The xuid as a decimal string. */
  externalAccountId: string;
  /** The gamertag. */
  displayName: string;
  avatarUrl: string | null;
  /** To be sealed with the credential cipher; never logged. Holds the ROTATED Microsoft refresh token. */
  credentials: XboxCredentials;
  /** When the XSTS token (~16 h) runs out. */
  tokenExpiresAt: Date;
  /** Microsoft does not tell a refresh token's lifetime (it slides with use), so there is none to record. */
  refreshExpiresAt: null;
}

/**
 * Microsoft refresh token → MSA access token (+ rotated refresh token) → Xbox user token → XSTS → profile.
 * Rejections are `PlatformError` kind `auth`: `invalid_credentials` for a bad refresh token, specific codes
 * from XSTS (`xbox_account_missing`, `xbox_child_account`, …). The avatar is best-effort: the account is
 * linked even when the profile service is down.
 */
export async function linkXboxAccount(input: { refreshToken: string }, deps: { xboxAuth: XboxAuthClient }): Promise<XboxLinkedAccount> {
  const { msa, xsts } = await deps.xboxAuth.authenticate(input.refreshToken.trim());
  let avatarUrl: string | null = null;
  try {
    avatarUrl = (await deps.xboxAuth.getProfile({ xuid: xsts.xuid, userHash: xsts.userHash, xstsToken: xsts.token })).avatarUrl;
  } catch (error) {
    if (!isPlatformError(error) || error.kind === 'config') throw error;
  }
  return {
    externalAccountId: xsts.xuid,
    displayName: xsts.gamertag,
    avatarUrl,
    credentials: {
      msaRefreshToken: msa.refreshToken,
      xstsToken: xsts.token,
      userHash: xsts.userHash,
      xstsExpiresAt: xsts.expiresAt.toISOString(),
    },
    tokenExpiresAt: xsts.expiresAt,
    refreshExpiresAt: null,
  };
}
