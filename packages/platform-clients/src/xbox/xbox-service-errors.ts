import type { StatusClassifier } from '../http/platform-http.ts';
import { parseRetryAfter } from '../http/retry-after.ts';
import { PlatformError } from '../platform-error.ts';
import { xboxThrottleSchema } from './xbox-achievement-schemas.ts';

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/**
 * How the Xbox Live data services (achievements, titlehub) say what went wrong:
 * - 401 (empty body, `WWW-Authenticate: XBL3.0 …`): the XSTS token expired or was revoked → `auth`; the
 *   caller refreshes the session once, and a second 401 is `invalid_credentials`.
 * - 403: the profile's privacy settings hide its game data → `private` (`profile_private`).
 * - 429 + `Retry-After`: fine-grained rate limiting (per user and title, burst 15 s / sustain 300 s) →
 *   `rate_limited`; without the header the body's `periodInSeconds` is the wait, else `fallbackRetryMs`.
 * Everything else falls to the shared defaults (404 not_found, 5xx transient, other 4xx malformed).
 */
export function classifyXboxServiceError(endpoint: string, fallbackRetryMs: number): StatusClassifier {
  return ({ status, body, headers }) => {
    if (status === 401) {
      return new PlatformError({
        kind: 'auth',
        platform: 'xbox',
        endpoint,
        status,
        message: `${endpoint}: Xbox Live rejected the XSTS token (expired or revoked)`,
      });
    }
    if (status === 403) {
      return new PlatformError({ kind: 'private', platform: 'xbox', endpoint, status, message: `${endpoint}: the profile's privacy settings hide this data` });
    }
    if (status === 429) {
      const throttle = xboxThrottleSchema.safeParse(parseJson(body));
      const period = throttle.success ? throttle.data.periodInSeconds : undefined;
      const retryAfterMs = parseRetryAfter(headers.get('retry-after'), period === undefined ? fallbackRetryMs : Math.ceil(period * 1000));
      const detail =
        throttle.success && throttle.data.maxRequests !== undefined
          ? ` (${throttle.data.currentRequests ?? '?'} of ${throttle.data.maxRequests} calls per ${period ?? '?'} s)`
          : '';
      return new PlatformError({ kind: 'rate_limited', platform: 'xbox', endpoint, status, retryAfterMs, message: `${endpoint}: throttled by Xbox Live${detail}` });
    }
    return undefined;
  };
}
