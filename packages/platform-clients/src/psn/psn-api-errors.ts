import type { StatusClassifier } from '../http/platform-http.ts';
import { PlatformError } from '../platform-error.ts';
import { PSN_NOT_PERMITTED_CODE, psnApiErrorSchema, type PsnApiError } from './psn-profile-schemas.ts';

/** `{"error":{"referenceId","code","message"}}` when the body is PSN's envelope, else undefined. */
export function parsePsnApiError(body: string): PsnApiError | undefined {
  try {
    const parsed = psnApiErrorSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * m.np.playstation.com's errors in our terms. 401 (an expired or revoked access token, code 2241025
 * "Invalid token") is `auth`: the caller refreshes once and asks again, and only a second 401 means the
 * link is dead. 403 is a private trophy list or a non-friend (2240526) → `private`. 404 (2240525) is an
 * unknown account, or a title the user never synced / asked with the wrong `npServiceName` → `not_found`,
 * whose `endpoint` tells a caller which of the two it is. 429, 5xx and 400 keep the shared defaults
 * (429 waits for `X-RateLimit-Next-Available` / `Retry-After`).
 */
export function classifyPsnApiError(endpoint: string): StatusClassifier {
  return ({ status, body }) => {
    if (status !== 401 && status !== 403 && status !== 404) return undefined;
    const envelope = parsePsnApiError(body)?.error;
    const detail = envelope ? `PSN code ${envelope.code} "${envelope.message.slice(0, 120)}"` : `HTTP ${status} without PSN's error envelope`;
    if (status === 401) {
      return new PlatformError({ kind: 'auth', platform: 'psn', endpoint, status, message: `${endpoint}: PSN rejected the access token (${detail})` });
    }
    if (status === 403) {
      const reason = envelope?.code === PSN_NOT_PERMITTED_CODE ? 'the trophy list is private or not shared with us' : 'PSN refused access';
      return new PlatformError({ kind: 'private', platform: 'psn', endpoint, status, message: `${endpoint}: ${reason} (${detail})` });
    }
    return new PlatformError({ kind: 'not_found', platform: 'psn', endpoint, status, message: `${endpoint}: not found (${detail})` });
  };
}
