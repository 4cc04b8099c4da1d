import { SyncAcceptError } from '@ach/sync-runs';
import { ProblemError } from '../problem.ts';

/** Seconds a client should wait before retrying when the queue is unreachable. */
const QUEUE_RETRY_AFTER_S = '5';

export const queueUnavailable = (cause: unknown) =>
  new ProblemError(503, 'queue_unavailable', 'The sync queue is unreachable; try again shortly', { headers: { 'retry-after': QUEUE_RETRY_AFTER_S }, cause });

/** A refusal of the accept path (@ach/sync-runs) as the client sees it; anything else unchanged. */
export function syncAcceptProblem(error: unknown): unknown {
  if (!(error instanceof SyncAcceptError)) return error;
  const { platform } = error;
  switch (error.code) {
    case 'account_not_linked':
      return new ProblemError(409, 'account_not_linked', `No ${platform} account is linked; link one with PUT /accounts/${platform}`);
    case 'ownership_claimed':
      return new ProblemError(409, 'ownership_claimed', `Another user has proven they own the linked ${platform} account; link an account you own${platform === 'steam' ? ' (sign in with POST /accounts/steam/openid)' : ''}`);
    case 'queue_unavailable':
      return queueUnavailable(error.cause);
    case 'sync_contended':
      return new ProblemError(503, 'sync_contended', 'Runs are starting and finishing too fast to settle; try again', { headers: { 'retry-after': '1' } });
  }
}
