import { XSTS_ERROR_CODES, type PlatformError } from '@ach/platform-clients';

/**
 * The text `sync_logs.error_message` and the progress stream show for a platform's answer. Written
 * here, never taken from the error: a PlatformError's own message may quote the platform's body
 * (an OAuth error description, an HTML page, a schema failure), which is for the logs only.
 * `endpoint` is our own label for the call (e.g. `steam.GetOwnedGames`); `name` is the platform's
 * display name (its module's `displayName`).
 */
export function publicPlatformFailureMessage(error: PlatformError, name: string): string {
  switch (error.kind) {
    case 'auth': {
      // XSTS refusals carry their own app code (xbox_child_account, …) whose text is ours too.
      const xsts = Object.values(XSTS_ERROR_CODES).find((known) => known.code === error.code);
      return xsts?.message ?? `${name} no longer accepts the stored sign-in; link the account again`;
    }
    case 'private':
      return `The ${name} profile or its game details are not public`;
    case 'not_found':
      return `The linked ${name} account was not found`;
    case 'rate_limited':
      return `${name} is limiting requests; the sync continues when it allows`;
    case 'transient':
      return `${name} did not answer (${error.endpoint}); try again later`;
    case 'malformed':
      return `${name} answered something this server cannot read (${error.endpoint})`;
    case 'config':
      return `Syncing ${name} is not configured correctly on this server`;
  }
}

/** Our own shared call budget for the platform is spent: the run waits, as for the platform's own 429. */
export const budgetSpentMessage = (name: string) => `${name} allows only so many requests at a time; the sync continues when the budget refills`;

/** What a user sees for a failure that is ours, not the platform's: only a reference into the logs. */
export const internalFailureMessage = (errorId: string) => `Internal error (reference ${errorId})`;
