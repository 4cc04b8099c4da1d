import { isPlatformError } from '@ach/platform-clients';
import { failureCause } from '../engine/sync-engine.ts';
import { SyncJobError } from '../sync-job-error.ts';

/**
 * THE place where an error's kind becomes queue behaviour:
 * - `delay`: the platform asked us to wait (429 + Retry-After) — not a failed attempt;
 * - `fail`: retrying cannot help (private profile, revoked credentials, malformed answer, our own
 *   misconfiguration, a job we cannot run) — fail now, with a code the app can show;
 * - `retry`: 5xx, timeouts, network, a database hiccup, anything unknown — jittered exponential backoff.
 */
export type FailureDecision =
  | { action: 'delay'; delayMs: number; code: string; message: string }
  | { action: 'fail'; code: string; message: string; needsAttention: boolean }
  | { action: 'retry'; code: string; message: string };

const DEFAULT_RATE_LIMIT_DELAY_MS = 60_000;

export function decideFailure(error: unknown): FailureDecision {
  const cause = failureCause(error);
  if (isPlatformError(cause)) {
    const message = cause.message;
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
  if (cause instanceof SyncJobError) return { action: 'fail', code: cause.code, message: cause.message, needsAttention: cause.needsAttention };
  const message = cause instanceof Error ? cause.message : String(cause);
  return { action: 'retry', code: 'internal_error', message };
}
