import { PlatformError } from '../platform-error.ts';
import type { StatusClassifier } from '../http/platform-http.ts';
import { playerStatsErrorSchema } from './steam-schemas.ts';

/**
 * Steam mixes HTML and JSON error bodies and uses error statuses for normal conditions. This turns the
 * ones whose meaning is not the status alone into the right kind; the rest fall to the shared defaults
 * (429 rate_limited with Retry-After, 5xx transient, 404 not_found, other 4xx malformed).
 */
export function classifySteamError(endpoint: string): StatusClassifier {
  return ({ status, body }) => {
    const html = looksLikeHtml(body);
    // Bad or revoked key: 403 (401 on some interfaces) with an HTML "Access is denied" page. Retrying
    // will not help and it is not the user's fault: our configuration is wrong.
    if (status === 401 || (status === 403 && html)) {
      return new PlatformError({
        kind: 'config',
        platform: 'steam',
        endpoint,
        status,
        message: `${endpoint}: Steam rejected the API key (HTTP ${status})`,
      });
    }
    const playerStatsError = parsePlayerStatsError(body);
    if (playerStatsError !== undefined) return playerStatsErrorToPlatformError(endpoint, status, playerStatsError);
    return undefined;
  };
}

/** The `error` text of a `{"playerstats":{"error":...,"success":false}}` body, if that is what it is. */
export function parsePlayerStatsError(body: string): string | undefined {
  if (!body.includes('playerstats')) return undefined;
  try {
    const parsed = playerStatsErrorSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.playerstats.error : undefined;
  } catch {
    return undefined;
  }
}

/** Only for errors that are errors: "Requested app has no stats" is a normal answer handled by the client. */
export function playerStatsErrorToPlatformError(endpoint: string, status: number, error: string): PlatformError {
  if (/not public/i.test(error)) {
    return new PlatformError({ kind: 'private', platform: 'steam', endpoint, status, message: `${endpoint}: ${error}` });
  }
  if (/invalid steamid|not found/i.test(error)) {
    return new PlatformError({ kind: 'not_found', platform: 'steam', endpoint, status, message: `${endpoint}: ${error}` });
  }
  return new PlatformError({ kind: 'malformed', platform: 'steam', endpoint, status, message: `${endpoint}: unexpected Steam error "${error.slice(0, 200)}"` });
}

export function isNoStatsError(error: string): boolean {
  return /has no stats/i.test(error);
}

function looksLikeHtml(body: string): boolean {
  return /^\s*</.test(body);
}
