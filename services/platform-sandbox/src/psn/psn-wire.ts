import { randomUUID } from 'node:crypto';
import type { CannedResponse, PlatformFaultResponses } from '../serve-call.ts';

/**
 * PSN's wire formats, byte for byte where recorded (platform-fixtures/psn): compact JSON, the API's
 * `{"error":{"referenceId","code","message"}}` envelope, the auth host's OAuth error shape, and the
 * authorize endpoint's 302s. Error codes that were not recorded are marked as the sandbox's choice.
 */

/** The PlayStation App's OAuth client (what every PSN library signs in as). */
export const PS_APP_CLIENT_ID = '09515159-7237-4370-9b40-3806e67c0891';
export const PS_APP_CLIENT_SECRET = 'ucPjka5tntB2KqsP';
export const PS_APP_REDIRECT_URI = 'com.scee.psxandroid.scecompcall://redirect';
export const PS_APP_BASIC = `Basic ${Buffer.from(`${PS_APP_CLIENT_ID}:${PS_APP_CLIENT_SECRET}`).toString('base64')}`;

const API_JSON = 'application/json';
const AUTH_JSON = 'application/json;charset=UTF-8';
const SONY_AUTH_DOCS = 'https://auth.api.sonyentertainmentnetwork.com/docs/';

export const psnApiJson = (body: unknown, status = 200): CannedResponse => ({ status, contentType: API_JSON, body: JSON.stringify(body), exactContentType: true });
export const psnAuthJson = (body: unknown, status = 200): CannedResponse => ({ status, contentType: AUTH_JSON, body: JSON.stringify(body) });

/** The m.np.playstation.com envelope. 2240525 / 2240526 are recorded; others say so where used. */
export const psnApiError = (status: number, code: number, message: string): CannedResponse =>
  psnApiJson({ error: { referenceId: randomUUID(), code, message } }, status);

export const PSN_NOT_FOUND = () => psnApiError(404, 2240525, 'Resource not found');
export const PSN_NOT_PERMITTED = () => psnApiError(403, 2240526, 'Not permitted by access control');
/** Not recorded by our sources, but quoted verbatim in andshrew/PlayStation-Trophies#16 (2022). */
export const PSN_INVALID_TOKEN = () => psnApiError(401, 2241025, 'Invalid token');
/** The recorded 400 is the userProfile service's (2281473); the trophy service's code is the sandbox's choice. */
export const PSN_BAD_REQUEST = (what: string) => psnApiError(400, 2240513, `Bad Request (${what})`);

/** As clients quote it (Tustin/psn-php#117, #148): no referenceId. */
const RATE_LIMITED_BODY = { error: { code: 2138635, message: 'Rate limit exceeded' } };

/**
 * A 429 from the request window: PSN says when the window reopens in `X-RateLimit-Next-Available` (unix
 * seconds; andshrew's API notes) and no `Retry-After`. The other `X-RateLimit-*` headers are the ones Sony's
 * console SDK reads (sandbox's values: the window's limit, 0 left, its length in seconds).
 */
export const psnRateLimited = (limited: { limit: number; windowSeconds: number; nextAvailable: number }): CannedResponse => ({
  ...psnApiJson(RATE_LIMITED_BODY, 429),
  headers: {
    'x-ratelimit-limit': String(limited.limit),
    'x-ratelimit-remaining': '0',
    'x-ratelimit-timeperiod': String(limited.windowSeconds),
    'x-ratelimit-next-available': String(limited.nextAvailable),
  },
});

/** ca.account.sony.com's OAuth errors (`error_code` 4159 "Invalid refresh token" is what clients report). */
export const psnOAuthError = (status: number, error: string, description: string, errorCode: number): CannedResponse =>
  psnAuthJson({ error, error_description: description, docs: SONY_AUTH_DOCS, error_code: errorCode, parameters: [] }, status);

export const PSN_INVALID_REFRESH_TOKEN = () => psnOAuthError(400, 'invalid_grant', 'Invalid refresh token', 4159);
/** Sandbox's choice of code for a used / unknown authorization code. */
export const PSN_INVALID_CODE = () => psnOAuthError(400, 'invalid_grant', 'Invalid authorization code', 4156);
export const PSN_BAD_CLIENT = () => psnOAuthError(401, 'invalid_client', 'Bad client credentials', 4102);

/** The authorize answer is a 302 either way; only the Location tells success from failure. */
export const psnRedirect = (location: string): CannedResponse => ({ status: 302, contentType: 'text/html;charset=UTF-8', body: '', headers: { location } });

/** Where a bad or expired NPSSO is sent (recorded shape: sign-in page with error=login_required, 4165). */
export const psnLoginRequiredRedirect = (): CannedResponse =>
  psnRedirect(
    `https://my.account.sony.com/sonyacct/signin/?${new URLSearchParams({
      client_id: PS_APP_CLIENT_ID,
      error: 'login_required',
      error_code: '4165',
      error_description: 'User is not authenticated',
      no_captcha: 'true',
      response_type: 'code',
    })}`,
  );

const gatewayTimeout: CannedResponse = { status: 504, contentType: 'text/html', body: '<html><body><h1>504 Gateway Time-out</h1></body></html>' };

/** Faults on m.np.playstation.com: the API envelope (429 code 2138635 "Rate limit exceeded" as clients report it). */
export const psnApiFaults: PlatformFaultResponses = {
  rateLimited: psnApiJson(RATE_LIMITED_BODY, 429),
  get serverError() {
    return psnApiError(500, 2240512, 'Internal Server Error');
  },
  get unauthorized() {
    return PSN_INVALID_TOKEN();
  },
  get forbidden() {
    return PSN_NOT_PERMITTED();
  },
  gatewayTimeout,
};

/** Faults on ca.account.sony.com's token endpoint: its OAuth shape; "unauthorized" is the dead-grant 400. */
export const psnTokenFaults: PlatformFaultResponses = {
  rateLimited: psnOAuthError(429, 'too_many_requests', 'Too many requests', 4098),
  get serverError() {
    return psnOAuthError(500, 'server_error', 'Internal server error', 1);
  },
  get unauthorized() {
    return PSN_INVALID_REFRESH_TOKEN();
  },
  get forbidden() {
    return psnOAuthError(403, 'access_denied', 'Access denied', 4103);
  },
  gatewayTimeout,
};

/** Faults on the authorize endpoint: "unauthorized" is what PSN really does — a 302 to the sign-in page. */
export const psnAuthorizeFaults: PlatformFaultResponses = {
  ...psnTokenFaults,
  get unauthorized() {
    return psnLoginRequiredRedirect();
  },
};
