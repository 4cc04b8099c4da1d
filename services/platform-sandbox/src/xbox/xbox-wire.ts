import type { CannedResponse, PlatformFaultResponses } from '../serve-call.ts';
import type { XboxThrottled } from './xbox-rate-limit.ts';

/**
 * Xbox Live's and login.live.com's wire formats (platform-fixtures/xbox): PascalCase token JSON with 7
 * fractional digits, XSTS refusals as 401 `{Identity, XErr, Message, Redirect}`, OAuth errors from
 * login.live.com, throttling as 429 `{version,currentRequests,maxRequests,periodInSeconds,limitType}` +
 * `Retry-After` (Microsoft's documented shape; no error body was recorded).
 */

/** `2026-01-01T00:00:00.1230000Z`: Xbox writes 7 fractional digits. */
export function xboxInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, millis: string) => `.${millis}0000Z`);
}

export const xboxJson = (body: unknown, status = 200, contentType = 'application/json'): CannedResponse => ({
  status,
  contentType,
  body: JSON.stringify(body),
});
/** The data services (profile, achievements, titlehub) answer with a charset. */
export const xboxServiceJson = (body: unknown, status = 200) => xboxJson(body, status, 'application/json; charset=utf-8');

/** An empty-bodied 401 with the challenge header, as the Xbox services send for a missing/expired token. */
export const xboxUnauthorized = (): CannedResponse => ({
  status: 401,
  contentType: 'text/plain; charset=utf-8',
  body: '',
  headers: { 'www-authenticate': 'XBL3.0 realm="http://xboxlive.com"' },
});

const XSTS_REDIRECTS: Record<number, string> = {
  2148916233: 'https://start.ui.xboxlive.com/CreateAccount',
  2148916238: 'https://start.ui.xboxlive.com/AddChildToFamily',
};
export const xstsRefusal = (xerr: number): CannedResponse =>
  xboxJson({ Identity: '0', XErr: xerr, Message: '', Redirect: XSTS_REDIRECTS[xerr] ?? 'https://start.ui.xboxlive.com/' }, 401);

export const msaError = (error: string, description: string, status = 400): CannedResponse => xboxJson({ error, error_description: description }, status);
export const MSA_INVALID_GRANT = () =>
  msaError('invalid_grant', "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.");

/** The documented throttling answer; `Retry-After` is the seconds until the full window rolls over. */
export const xboxThrottled = (t: XboxThrottled): CannedResponse => ({
  ...xboxServiceJson({ version: 1, currentRequests: t.currentRequests, maxRequests: t.maxRequests, periodInSeconds: t.periodInSeconds, limitType: 'Rate' }, 429),
  headers: { 'retry-after': String(t.retryAfterSeconds) },
});
const throttled = xboxServiceJson({ version: 1, currentRequests: 101, maxRequests: 100, periodInSeconds: 15, limitType: 'Rate' }, 429);
/** Empty-bodied answers of the data services: a bad query, a private profile, an unknown user or title. */
const emptyAnswer = (status: number): CannedResponse => ({ status, contentType: 'text/plain; charset=utf-8', body: '' });
export const xboxBadRequest = () => emptyAnswer(400);
export const xboxForbidden = () => emptyAnswer(403);
export const xboxNotFound = () => emptyAnswer(404);
const gatewayTimeout: CannedResponse = { status: 504, contentType: 'text/html', body: '<html><body><h1>504 Gateway Time-out</h1></body></html>' };
const serverError: CannedResponse = { status: 500, contentType: 'text/plain; charset=utf-8', body: '' };

/** user.auth, xsts, profile, achievements, titlehub. */
export const xboxServiceFaults: PlatformFaultResponses = {
  rateLimited: throttled,
  serverError,
  get unauthorized() {
    return xboxUnauthorized();
  },
  forbidden: emptyAnswer(403),
  gatewayTimeout,
};

/** login.live.com: its OAuth errors; "unauthorized" is what it really answers a dead refresh token with. */
export const msaFaults: PlatformFaultResponses = {
  rateLimited: msaError('temporarily_unavailable', 'The server is temporarily unable to handle the request.', 429),
  serverError: msaError('server_error', 'The server encountered an unexpected condition.', 500),
  get unauthorized() {
    return MSA_INVALID_GRANT();
  },
  forbidden: msaError('access_denied', 'The user or authorization server denied the request.', 403),
  gatewayTimeout,
};
