import { randomUUID } from 'node:crypto';
import type { Platform } from '@ach/db';
import { isPlatformError } from '@ach/platform-clients';
import { failureCause } from '../engine/sync-engine.ts';
import { RateBudgetSpentError } from '../rate-limit/rate-budget-spent-error.ts';
import { SyncJobError } from '../sync-job-error.ts';
import { budgetSpentMessage, internalFailureMessage, publicPlatformFailureMessage } from './public-failure-message.ts';

/**
 * THE place where an error's kind becomes queue behaviour:
 * - `delay`: the platform asked us to wait (429 + Retry-After) — not a failed attempt;
 * - `fail`: retrying cannot help (private profile, revoked credentials, malformed answer, our own
 *   misconfiguration, a job we cannot run) — fail now, with a code the app can show;
 * - `retry`: 5xx, timeouts, network, a database hiccup, anything unknown — jittered exponential backoff.
 *
 * `message` is what the user sees (sync_logs.error_message, the progress stream): always our own
 * words. Anything that is not a known outcome — a Postgres or Redis error, a bug — becomes
 * `internal_error` with only a reference: `errorId`, under which the runner logs the full error.
 */
export type FailureDecision =
  | { action: 'delay'; delayMs: number; code: string; message: string; errorId?: string }
  | { action: 'fail'; code: string; message: string; needsAttention: boolean; errorId?: string }
  | { action: 'retry'; code: string; message: string; errorId?: string };

const DEFAULT_RATE_LIMIT_DELAY_MS = 60_000;

/**
 * `platformName`: a platform slug's display name, for the words the user reads; `platform`: the
 * worker's own platform (named in failures that carry none, e.g. our own spent call budget).
 */
export function decideFailure(
  error: unknown,
  platformName: (slug: Platform) => string,
  context: { platform?: Platform; newErrorId?: () => string } = {},
): FailureDecision {
  const newErrorId = context.newErrorId ?? randomUUID;
  const cause = failureCause(error);
  if (isPlatformError(cause)) {
    const message = publicPlatformFailureMessage(cause, platformName(cause.platform));
    switch (cause.kind) {
      case 'rate_limited':
        return { action: 'delay', delayMs: Math.max(0, cause.retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS), code: cause.code, message };
      case 'transient':
        return { action: 'retry', code: cause.code, message };
      case 'auth':
      case 'private':
        return { action: 'fail', code: cause.code, message, needsAttention: true };
      case 'not_found':
      case 'malformed':
      case 'config':
        return { action: 'fail', code: cause.code, message, needsAttention: cause.kind === 'not_found' };
    }
  }
  // Our own shared call budget is spent for a while: wait like for a 429, not an attempt.
  if (cause instanceof RateBudgetSpentError) {
    return { action: 'delay', delayMs: cause.retryAfterMs, code: 'rate_limited', message: budgetSpentMessage(context.platform ? platformName(context.platform) : 'The platform') };
  }
  // Our own codes and messages (SyncJobError's message is written by us, its cause goes to the logs).
  if (cause instanceof SyncJobError) return { action: 'fail', code: cause.code, message: cause.message, needsAttention: cause.needsAttention };
  const errorId = newErrorId();
  return { action: 'retry', code: 'internal_error', message: internalFailureMessage(errorId), errorId };
}
