import { PushConflictError, SyncResetRequiredError, UsernameTakenError } from '@ach/client-sync';
import { ProblemError } from '../../problem.ts';

const MAX_LISTED_CONFLICTS = 20;

/** The sync package's typed refusals as the problems the app handles; anything else is left alone. */
export function clientSyncProblem(error: unknown): ProblemError | undefined {
  if (error instanceof SyncResetRequiredError) {
    return new ProblemError(409, 'sync_reset_required', error.message, { extra: { reason: error.reason } });
  }
  if (error instanceof PushConflictError) {
    // Only the caller's own records (ids are per user), so listing them reveals nothing.
    return new ProblemError(409, 'conflict', error.message, { extra: { conflicts: error.records.slice(0, MAX_LISTED_CONFLICTS) } });
  }
  if (error instanceof UsernameTakenError) return new ProblemError(409, 'username_taken', error.message);
  return undefined;
}

export const readOnlyTable = (detail: string) => new ProblemError(403, 'read_only_table', detail);

export const CLIENT_SYNC_RESET = '`sync_reset_required`: `lastPulledAt` cannot be continued from (deletions since then were purged after 30 days, or this server never issued it): reset the local database and pull with `lastPulledAt: null`';
