import { createPlatformHttp, type PlatformHttpOptions, type StatusClassifier } from '../http/platform-http.ts';
import { PlatformError } from '../platform-error.ts';
import {
  msaErrorSchema,
  msaTokenResponseSchema,
  xboxProfileSettingsSchema,
  xboxUserTokenSchema,
  xstsErrorSchema,
  xstsTokenSchema,
} from './xbox-auth-schemas.ts';
import { XSTS_ERROR_CODES } from './xsts-error-codes.ts';

/** The legacy Xbox Live scope: its tokens go into `RpsTicket` as `t=…`; Azure-app scopes (`Xboxlive.signin`) use `d=…`. */
export const XBOX_MBI_SSL_SCOPE = 'service::user.auth.xboxlive.com::MBI_SSL';

export interface XboxAuthClientOptions {
  /** XBOX_CLIENT_ID: the Microsoft app the user's refresh token was issued to. */
  clientId: string;
  /** Only for confidential (web) apps; public/native clients send none. */
  clientSecret?: string;
  scope?: string;
  msaBaseUrl: string;
  userAuthBaseUrl: string;
  xstsBaseUrl: string;
  profileBaseUrl: string;
  http?: Omit<PlatformHttpOptions, 'platform'>;
  now?: () => number;
}

export interface MsaTokens {
  accessToken: string;
  /** Microsoft rotates it: store this one, the old one may stop working. */
  refreshToken: string;
  accessExpiresAt: Date;
}

export interface XboxUserToken {
  token: string;
  userHash: string;
  expiresAt: Date;
}

export interface XstsToken {
  token: string;
  userHash: string;
  /** The xuid, a decimal string. */
  xuid: string;
  gamertag: string;
  ageGroup: string | null;
  expiresAt: Date;
}

export interface XboxProfile {
  xuid: string;
  gamertag: string | null;
  displayName: string | null;
  avatarUrl: string | null;
  gamerscore: number | null;
}

export interface XboxSession {
  msa: MsaTokens;
  xsts: XstsToken;
}

export interface XboxAuthClient {
  refreshMsaToken(refreshToken: string): Promise<MsaTokens>;
  authenticateUser(msaAccessToken: string): Promise<XboxUserToken>;
  authorizeXsts(userToken: string): Promise<XstsToken>;
  /** The whole chain: Microsoft refresh token → MSA access token → user token → XSTS. */
  authenticate(refreshToken: string): Promise<XboxSession>;
  getProfile(auth: { xuid: string; userHash: string; xstsToken: string }): Promise<XboxProfile>;
}

const trimBase = (url: string) => url.replace(/\/+$/, '');

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/** login.live.com: 400 `invalid_grant` = the refresh token is revoked, expired or for another app. */
const classifyMsaError: StatusClassifier = ({ status, body }) => {
  if (status === 429 || status >= 500) return undefined;
  const parsed = msaErrorSchema.safeParse(parseJson(body));
  const error = parsed.success ? parsed.data.error : undefined;
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    return new PlatformError({ kind: 'config', platform: 'xbox', endpoint: 'xbox.msaToken', status, message: `Microsoft refused XBOX_CLIENT_ID: ${error}` });
  }
  if (status === 400 || status === 401 || status === 403) {
    return new PlatformError({
      kind: 'auth',
      platform: 'xbox',
      endpoint: 'xbox.msaToken',
      status,
      message: `Microsoft rejected the refresh token: ${error ?? `status ${status}`}`,
    });
  }
  return undefined;
};

/** user.auth answers 400/401 (often with an empty body) when the RPS ticket is not accepted. */
const classifyUserAuthError: StatusClassifier = ({ status }) => {
  if (status === 400 || status === 401 || status === 403) {
    return new PlatformError({ kind: 'auth', platform: 'xbox', endpoint: 'xbox.userAuthenticate', status, message: `Xbox user authentication refused the Microsoft token (${status})` });
  }
  return undefined;
};

/** XSTS says why it refuses in `XErr`; each reason has its own app-facing code. */
const classifyXstsError: StatusClassifier = ({ status, body }) => {
  if (status !== 400 && status !== 401 && status !== 403) return undefined;
  const parsed = xstsErrorSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    return new PlatformError({ kind: 'auth', platform: 'xbox', endpoint: 'xbox.xstsAuthorize', status, message: `XSTS refused the user token (${status})` });
  }
  const known = XSTS_ERROR_CODES[parsed.data.XErr];
  return new PlatformError({
    kind: 'auth',
    platform: 'xbox',
    endpoint: 'xbox.xstsAuthorize',
    status,
    ...(known ? { code: known.code } : {}),
    message: `XSTS refused (XErr ${parsed.data.XErr}): ${known?.message ?? 'unknown reason'}`,
  });
};

const setting = (settings: { id: string; value: string }[], id: string): string | null => {
  const value = settings.find((s) => s.id === id)?.value;
  return value === undefined || value === '' ? null : value;
};

export function createXboxAuthClient(options: XboxAuthClientOptions): XboxAuthClient {
  const http = createPlatformHttp({ ...options.http, platform: 'xbox' });
  const now = options.now ?? Date.now;
  const scope = options.scope ?? XBOX_MBI_SSL_SCOPE;
  const ticketPrefix = scope === XBOX_MBI_SSL_SCOPE ? 't=' : 'd=';
  const msaBase = trimBase(options.msaBaseUrl);
  const userAuthBase = trimBase(options.userAuthBaseUrl);
  const xstsBase = trimBase(options.xstsBaseUrl);
  const profileBase = trimBase(options.profileBaseUrl);
  const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json', 'x-xbl-contract-version': '1' };

  async function refreshMsaToken(refreshToken: string): Promise<MsaTokens> {
    const issuedAt = now();
    const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: options.clientId, scope, refresh_token: refreshToken });
    if (options.clientSecret) form.set('client_secret', options.clientSecret);
    const { data } = await http.request({
      endpoint: 'xbox.msaToken',
      url: `${msaBase}/oauth20_token.srf`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      schema: msaTokenResponseSchema,
      classify: classifyMsaError,
    });
    return {
      accessToken: data.access_token,
      refreshToken: data.refresh_token ?? refreshToken,
      accessExpiresAt: new Date(issuedAt + data.expires_in * 1000),
    };
  }

  async function authenticateUser(msaAccessToken: string): Promise<XboxUserToken> {
    const { data } = await http.request({
      endpoint: 'xbox.userAuthenticate',
      url: `${userAuthBase}/user/authenticate`,
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({
        RelyingParty: 'http://auth.xboxlive.com',
        TokenType: 'JWT',
        Properties: { AuthMethod: 'RPS', SiteName: 'user.auth.xboxlive.com', RpsTicket: `${ticketPrefix}${msaAccessToken}` },
      }),
      schema: xboxUserTokenSchema,
      classify: classifyUserAuthError,
    });
    const claims = data.DisplayClaims.xui[0]!;
    return { token: data.Token, userHash: claims.uhs, expiresAt: new Date(Date.parse(data.NotAfter)) };
  }

  async function authorizeXsts(userToken: string): Promise<XstsToken> {
    const { data } = await http.request({
      endpoint: 'xbox.xstsAuthorize',
      url: `${xstsBase}/xsts/authorize`,
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({
        RelyingParty: 'http://xboxlive.com',
        TokenType: 'JWT',
        Properties: { SandboxId: 'RETAIL', UserTokens: [userToken] },
      }),
      schema: xstsTokenSchema,
      classify: classifyXstsError,
    });
    const claims = data.DisplayClaims.xui[0]!;
    return {
      token: data.Token,
      userHash: claims.uhs,
      xuid: claims.xid,
      gamertag: claims.gtg,
      ageGroup: claims.agg ?? null,
      expiresAt: new Date(Date.parse(data.NotAfter)),
    };
  }

  return {
    refreshMsaToken,
    authenticateUser,
    authorizeXsts,
    async authenticate(refreshToken) {
      const msa = await refreshMsaToken(refreshToken);
      const user = await authenticateUser(msa.accessToken);
      const xsts = await authorizeXsts(user.token);
      return { msa, xsts };
    },
    async getProfile({ xuid, userHash, xstsToken }) {
      // Literal commas, as the recorded request sent them.
      const url = `${profileBase}/users/xuid(${encodeURIComponent(xuid)})/profile/settings?settings=GameDisplayName,GameDisplayPicRaw,Gamerscore,Gamertag`;
      const { data } = await http.request({
        endpoint: 'xbox.profileSettings',
        url,
        // Contract 3 is what the recorded call (xbox-webapi-python) sent; 2 gives the same shape.
        headers: { authorization: `XBL3.0 x=${userHash};${xstsToken}`, 'x-xbl-contract-version': '3', accept: 'application/json', 'accept-language': 'en-US' },
        schema: xboxProfileSettingsSchema,
      });
      const user = data.profileUsers.find((u) => u.id === xuid) ?? data.profileUsers[0]!;
      const gamerscore = setting(user.settings, 'Gamerscore');
      return {
        xuid: user.id,
        gamertag: setting(user.settings, 'Gamertag'),
        displayName: setting(user.settings, 'GameDisplayName'),
        avatarUrl: setting(user.settings, 'GameDisplayPicRaw'),
        gamerscore: gamerscore !== null && /^\d+$/.test(gamerscore) ? Number(gamerscore) : null,
      };
    },
  };
}
