import { PlatformError, psnCredentialsSchema, type PsnAuthClient, type PsnCredentials } from '@ach/platform-clients';
import { createCredentialSession, type AdapterAccount, type CredentialSession } from '@ach/sync-engine';

/**
 * One job's PSN sign-in over the engine's single-flight `createCredentialSession`:
 *
 * - The access token (≈ 1 h) is refreshed 5 min before it expires, once per job however many titles
 *   are fetched at once; the new pair is stored (sealed) with `token_expires_at` and
 *   `refresh_expires_at` before it is used.
 * - PSN does not extend the refresh token's life by refreshing (≈ 60 days from the NPSSO exchange):
 *   one that has expired by our own record is `invalid_credentials` without asking PSN, and one PSN
 *   rejects (400 `invalid_grant`) is `invalid_credentials` at once — kind `auth`: no retries, the
 *   account flagged `needs_attention` so the app asks for a new NPSSO.
 * - A data call answered 401 refreshes once per job and is asked again; a 401 after that is final.
 */
export type PsnSession = CredentialSession<PsnCredentials>;

const signInUnusable = (reason: string, cause?: unknown) =>
  new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.token', message: `stored PSN sign-in unusable: ${reason}`, cause });

export function createPsnSession(account: AdapterAccount, options: { auth: PsnAuthClient; now?: () => number; refreshBeforeMs?: number }): PsnSession {
  const now = options.now ?? Date.now;
  const parsed = psnCredentialsSchema.safeParse(account.credentials());
  if (!parsed.success) throw signInUnusable('not a PSN token set', parsed.error);

  return createCredentialSession<PsnCredentials>({
    account,
    initial: parsed.data,
    accessExpiresAt: (c) => new Date(c.accessExpiresAt),
    refreshBeforeMs: options.refreshBeforeMs,
    now,
    async refresh(from) {
      if (Date.parse(from.refreshExpiresAt) <= now()) throw signInUnusable('the refresh token expired (a new NPSSO is needed)');
      const tokens = await options.auth.refresh(from.refreshToken);
      // Never later than the sign-in's own end: refreshing does not extend it, whatever the answer says.
      const refreshExpiresAt = new Date(Math.min(tokens.refreshExpiresAt.getTime(), Date.parse(from.refreshExpiresAt)));
      return {
        credentials: {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          accessExpiresAt: tokens.accessExpiresAt.toISOString(),
          refreshExpiresAt: refreshExpiresAt.toISOString(),
        },
        tokenExpiresAt: tokens.accessExpiresAt,
        refreshExpiresAt,
      };
    },
  });
}
