import type { Platform } from '@ach/db';

/**
 * What went wrong, in the terms that decide what happens next. The worker runner alone maps a kind
 * to retry / delay / give up; the API maps it to a status code.
 * - auth: the stored or offered credential is rejected (revoked, expired refresh token, bad NPSSO)
 * - private: the profile or its game details are not visible to us
 * - not_found: the account / title does not exist
 * - rate_limited: back off for `retryAfterMs`
 * - transient: 5xx, timeout, connection reset — retry with backoff
 * - malformed: the platform answered something our schema rejects — do not retry, do not write
 * - config: our side is misconfigured (e.g. invalid Steam API key)
 */
export type PlatformErrorKind = 'auth' | 'private' | 'not_found' | 'rate_limited' | 'transient' | 'malformed' | 'config';

/** Codes the app can show, stable across releases. */
export const APP_ERROR_CODES: Record<PlatformErrorKind, string> = {
  auth: 'invalid_credentials',
  private: 'profile_private',
  not_found: 'account_not_found',
  rate_limited: 'rate_limited',
  transient: 'platform_unavailable',
  malformed: 'platform_malformed_response',
  config: 'platform_misconfigured',
};

export class PlatformError extends Error {
  readonly kind: PlatformErrorKind;
  readonly platform: Platform;
  /** e.g. `steam.GetOwnedGames`, so stats and logs can say which call failed. */
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly code: string;

  constructor(options: {
    kind: PlatformErrorKind;
    platform: Platform;
    endpoint: string;
    message: string;
    status?: number;
    retryAfterMs?: number;
    code?: string;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.name = 'PlatformError';
    this.kind = options.kind;
    this.platform = options.platform;
    this.endpoint = options.endpoint;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.code = options.code ?? APP_ERROR_CODES[options.kind];
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}
