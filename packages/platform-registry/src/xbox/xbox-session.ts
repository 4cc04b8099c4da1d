import { isPlatformError, PlatformError, xboxCredentialsSchema, type XboxAuthClient, type XboxCredentials, type XboxServiceAuth } from '@ach/platform-clients';
import { createCredentialSession, type AdapterAccount, type CredentialSession } from '@ach/sync-engine';

/**
 * One job's Xbox Live session over the engine's single-flight `createCredentialSession`:
 *
 * - The XSTS token (~16 h) lives inside the account's sealed credentials and is reused across jobs
 *   until 5 min before its `NotAfter`: a sync normally makes no authorization call at all.
 * - Renewing is the whole chain (refresh token → MSA access token → user token → XSTS). Microsoft
 *   rotates the refresh token on every refresh and the used one stops working, so the rotated one is
 *   stored the moment it arrives — before the rest of the chain, which may still fail — and the
 *   session then stores the whole set with the new XSTS expiry (`token_expires_at`). One renewal per
 *   job at a time: concurrent title fetches meeting an expired token share it.
 * - A data call answered 401 renews once per job and is asked again; a 401 after that is
 *   `invalid_credentials`. A refresh token Microsoft rejects is `invalid_credentials` at once (kind
 *   `auth`: no retries, account flagged); an XSTS refusal keeps its `xbox_*` code.
 */
export type XboxSession = CredentialSession<XboxCredentials>;

/** The stored credentials cannot be used: relinking is the only way out. */
const unusableCredentials = (reason: string, cause?: unknown) =>
  new PlatformError({ kind: 'auth', platform: 'xbox', endpoint: 'xbox.credentials', message: `stored Xbox credentials unusable: ${reason}`, cause });

/** A data service's 401: the XSTS token is expired or revoked (token-chain refusals come out of `refresh` itself). */
const isRejectedXsts = (error: unknown) => isPlatformError(error) && error.kind === 'auth' && error.status === 401;

export function createXboxSession(account: AdapterAccount, options: { auth: () => XboxAuthClient; now?: () => number }): XboxSession {
  const parsed = xboxCredentialsSchema.safeParse(account.credentials());
  if (!parsed.success) throw unusableCredentials('not an Xbox token set', parsed.error);

  return createCredentialSession<XboxCredentials>({
    account,
    initial: parsed.data,
    accessExpiresAt: (c) => new Date(c.xstsExpiresAt),
    isRejection: isRejectedXsts,
    now: options.now,
    async refresh(from) {
      const chain = options.auth();
      const msa = await chain.refreshMsaToken(from.msaRefreshToken);
      // The used refresh token is dead from here on: keep the rotated one before anything else can fail.
      if (msa.refreshToken !== from.msaRefreshToken) await account.saveCredentials({ ...from, msaRefreshToken: msa.refreshToken });
      const user = await chain.authenticateUser(msa.accessToken);
      const xsts = await chain.authorizeXsts(user.token);
      // The chain now speaks for another Xbox profile than the linked one: never read its data here.
      if (xsts.xuid !== account.externalAccountId) throw unusableCredentials('the sign-in belongs to another Xbox profile than the linked one');
      return {
        credentials: { msaRefreshToken: msa.refreshToken, xstsToken: xsts.token, userHash: xsts.userHash, xstsExpiresAt: xsts.expiresAt.toISOString() },
        tokenExpiresAt: xsts.expiresAt,
        // Microsoft does not tell a refresh token's lifetime (it slides with use), as at linking.
        refreshExpiresAt: null,
      };
    },
  });
}

/** The `Authorization: XBL3.0 x={uhs};{xsts}` parts for a call reading this account's data. */
export const xboxServiceAuth = (account: AdapterAccount, c: XboxCredentials): XboxServiceAuth => ({
  xuid: account.externalAccountId,
  userHash: c.userHash,
  xstsToken: c.xstsToken,
});
