import type { z } from 'zod';
import { createPlatformHttp, type PlatformHttpOptions, type StatusClassifier } from '../http/platform-http.ts';
import { retryAfterFromHeaders } from '../http/retry-after.ts';
import { PlatformError } from '../platform-error.ts';
import { psnAuthorizeRedirectSchema, psnOAuthErrorSchema, psnTokenResponseSchema, type PsnTokenResponse } from './psn-auth-schemas.ts';
import { psnProfileSchema } from './psn-profile-schemas.ts';
import { psnTrophySummarySchema } from './psn-trophy-schemas.ts';

/**
 * The PlayStation App's public OAuth client — the one every PSN library (psnawp, psn-api) signs in as;
 * the NPSSO exchange only works for it. Not a secret of ours.
 */
export interface PsnOAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
}

export const PSN_APP_OAUTH: Readonly<PsnOAuthClient> = {
  clientId: '09515159-7237-4370-9b40-3806e67c0891',
  clientSecret: 'ucPjka5tntB2KqsP',
  redirectUri: 'com.scee.psxandroid.scecompcall://redirect',
  scope: 'psn:mobile.v2.core psn:clientapp',
};

export interface PsnAuthClientOptions {
  /** e.g. `https://ca.account.sony.com` (PSN_AUTH_BASE_URL) */
  authBaseUrl: string;
  /** e.g. `https://m.np.playstation.com` (PSN_API_BASE_URL) */
  apiBaseUrl: string;
  http?: Omit<PlatformHttpOptions, 'platform'>;
  oauth?: Partial<PsnOAuthClient>;
  now?: () => number;
}

export interface PsnTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  /** Fixed at the NPSSO exchange: refreshing does not extend it (~60 days), then a new NPSSO is needed. */
  refreshExpiresAt: Date;
  scope: string;
}

export interface PsnMe {
  /** Numeric string; never a JS number (it exceeds 2^53). */
  accountId: string;
  onlineId: string;
  avatarUrl: string | null;
}

export interface PsnAuthClient {
  /** Step 1: NPSSO cookie → one-time authorization code (from the 302's Location). */
  authorizationCodeFromNpsso(npsso: string): Promise<string>;
  /** Step 2: authorization code → tokens. */
  exchangeCode(code: string): Promise<PsnTokens>;
  /** Steps 1 and 2. */
  exchangeNpsso(npsso: string): Promise<PsnTokens>;
  refresh(refreshToken: string): Promise<PsnTokens>;
  /** The signed-in account: `trophySummary` for `me` gives the account id, the profile gives onlineId + avatar. */
  getMe(accessToken: string): Promise<PsnMe>;
}

const AUTHORIZE_PATH = '/api/authz/v3/oauth/authorize';
const TOKEN_PATH = '/api/authz/v3/oauth/token';
/** NPSSO values are 64 alphanumerics; anything that could break out of the cookie header is refused up front. */
const NPSSO_SHAPE = /^[A-Za-z0-9._~-]{1,512}$/;
const AVATAR_PREFERENCE = ['xl', 'l', 'm', 's'];

const trimBase = (url: string) => url.replace(/\/+$/, '');

/** Sony's token endpoint answers 400 `invalid_grant` for a used code or a dead refresh token. */
const classifyTokenError: StatusClassifier = ({ status, body }) => {
  if (status === 429 || status >= 500) return undefined;
  let parsed: z.infer<typeof psnOAuthErrorSchema> | undefined;
  try {
    const result = psnOAuthErrorSchema.safeParse(JSON.parse(body));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  const detail = parsed ? `${parsed.error}${parsed.error_code ? ` (${parsed.error_code})` : ''}` : `status ${status}`;
  if (parsed && (parsed.error === 'invalid_client' || parsed.error === 'unauthorized_client')) {
    return new PlatformError({ kind: 'config', platform: 'psn', endpoint: 'psn.token', status, message: `PSN refused our OAuth client: ${detail}` });
  }
  if (status === 400 || status === 401 || status === 403) {
    return new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.token', status, message: `PSN rejected the grant: ${detail}` });
  }
  return undefined;
};

export function createPsnAuthClient(options: PsnAuthClientOptions): PsnAuthClient {
  const http = createPlatformHttp({ ...options.http, platform: 'psn' });
  const authBase = trimBase(options.authBaseUrl);
  const apiBase = trimBase(options.apiBaseUrl);
  const oauth = { ...PSN_APP_OAUTH, ...options.oauth };
  const now = options.now ?? Date.now;
  const basic = `Basic ${Buffer.from(`${oauth.clientId}:${oauth.clientSecret}`).toString('base64')}`;

  const toTokens = (data: PsnTokenResponse, issuedAt: number): PsnTokens => ({
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    accessExpiresAt: new Date(issuedAt + data.expires_in * 1000),
    refreshExpiresAt: new Date(issuedAt + data.refresh_token_expires_in * 1000),
    scope: data.scope,
  });

  async function token(form: Record<string, string>): Promise<PsnTokens> {
    const issuedAt = now();
    const response = await http.request({
      endpoint: 'psn.token',
      url: `${authBase}${TOKEN_PATH}`,
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ ...form, token_format: 'jwt' }),
      schema: psnTokenResponseSchema,
      classify: classifyTokenError,
    });
    return toTokens(response.data, issuedAt);
  }

  async function authorizationCodeFromNpsso(npsso: string): Promise<string> {
    if (!NPSSO_SHAPE.test(npsso)) {
      throw new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.authorize', message: 'The NPSSO is not a well-formed token' });
    }
    const url = new URL(`${authBase}${AUTHORIZE_PATH}`);
    url.search = new URLSearchParams({
      access_type: 'offline',
      client_id: oauth.clientId,
      redirect_uri: oauth.redirectUri,
      response_type: 'code',
      scope: oauth.scope,
    }).toString();
    // The code only ever travels in the redirect's Location (a custom scheme fetch could not follow anyway).
    const res = await http.raw({ endpoint: 'psn.authorize', url, headers: { cookie: `npsso=${npsso}` }, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      let query: Record<string, string>;
      try {
        query = Object.fromEntries(new URL(location, authBase).searchParams);
      } catch {
        throw new PlatformError({ kind: 'malformed', platform: 'psn', endpoint: 'psn.authorize', status: res.status, message: 'PSN authorize redirected to an unparsable Location' });
      }
      const parsed = psnAuthorizeRedirectSchema.safeParse(query);
      if (parsed.success && 'code' in parsed.data) return parsed.data.code;
      // A bad or expired NPSSO is still a 302, to a sign-in page with error=login_required&error_code=4165.
      const reason = parsed.success && 'error' in parsed.data ? `${parsed.data.error}${parsed.data.error_code ? ` (${parsed.data.error_code})` : ''}` : 'no code in the redirect';
      throw new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.authorize', status: res.status, message: `PSN rejected the NPSSO: ${reason}` });
    }
    if (res.status === 429) {
      throw new PlatformError({
        kind: 'rate_limited',
        platform: 'psn',
        endpoint: 'psn.authorize',
        status: res.status,
        retryAfterMs: retryAfterFromHeaders(res.headers, options.http?.defaultRetryAfterMs ?? 60_000),
        message: 'PSN authorize answered 429',
      });
    }
    if (res.status >= 500) {
      throw new PlatformError({ kind: 'transient', platform: 'psn', endpoint: 'psn.authorize', status: res.status, message: `PSN authorize answered ${res.status}` });
    }
    throw new PlatformError({ kind: 'malformed', platform: 'psn', endpoint: 'psn.authorize', status: res.status, message: `PSN authorize answered ${res.status} without a redirect` });
  }

  async function exchangeCode(code: string): Promise<PsnTokens> {
    return token({ grant_type: 'authorization_code', code, redirect_uri: oauth.redirectUri, scope: oauth.scope });
  }

  return {
    authorizationCodeFromNpsso,
    exchangeCode,
    async exchangeNpsso(npsso) {
      return exchangeCode(await authorizationCodeFromNpsso(npsso));
    },
    async refresh(refreshToken) {
      return token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: oauth.scope });
    },
    async getMe(accessToken) {
      const headers = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
      const summary = await http.request({
        endpoint: 'psn.trophySummary',
        url: `${apiBase}/api/trophy/v1/users/me/trophySummary`,
        headers,
        schema: psnTrophySummarySchema,
      });
      const accountId = summary.data.accountId;
      const profile = await http.request({
        endpoint: 'psn.profile',
        url: `${apiBase}/api/userProfile/v1/internal/users/${encodeURIComponent(accountId)}/profiles`,
        headers,
        schema: psnProfileSchema,
      });
      const avatars = profile.data.avatars;
      const avatar = AVATAR_PREFERENCE.map((size) => avatars.find((a) => a.size === size)).find((a) => a !== undefined) ?? avatars[0];
      return { accountId, onlineId: profile.data.onlineId, avatarUrl: avatar?.url ?? null };
    },
  };
}
