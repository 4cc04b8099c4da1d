import { isPlatformError } from '@ach/platform-clients';
import { ProblemError } from '../problem.ts';

/**
 * How a platform's refusal reads to the app. The user's own input was refused → 422 with a code
 * the app can act on; the platform throttled or failed → 429 / 502 with Retry-After where known.
 * Messages are ours, not the platform's (which may echo input back).
 */
export function platformErrorToProblem(error: unknown): unknown {
  if (!isPlatformError(error)) return error;
  const platform = error.platform;
  switch (error.kind) {
    // The client's code is kept: it can be more specific (xbox_child_account, invalid_steam_id, …).
    case 'auth':
      return new ProblemError(422, error.code, `${platform} rejected the credential; sign in again and retry`, { cause: error });
    case 'private':
      return new ProblemError(422, error.code, `The ${platform} profile or its game details are not public`, { cause: error });
    case 'not_found':
      return new ProblemError(422, error.code, `No such ${platform} account`, { cause: error });
    case 'rate_limited': {
      const seconds = String(Math.max(1, Math.ceil((error.retryAfterMs ?? 60_000) / 1000)));
      return new ProblemError(429, 'platform_rate_limited', `${platform} is throttling requests; retry later`, { headers: { 'retry-after': seconds }, cause: error });
    }
    case 'transient':
      return new ProblemError(502, 'platform_unavailable', `${platform} did not answer; retry later`, { headers: { 'retry-after': '30' }, cause: error });
    case 'malformed':
      return new ProblemError(502, 'platform_malformed_response', `${platform} answered something unexpected`, { cause: error });
    case 'config':
      return new ProblemError(503, 'platform_misconfigured', `Linking ${platform} accounts is not configured on this server`, { cause: error });
  }
}
