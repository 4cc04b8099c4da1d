import type { Logger } from '@ach/observability';
import { DeliveryError, type AlertChannel } from './alert-channel.ts';
import type { DeliveryReport } from './alert-log-repository.ts';
import type { AlertMessage } from './alert-message.ts';

export interface RetryPolicy {
  /** Tries in all (default 4). */
  attempts: number;
  /** Delay before the second try; doubles after each (default 1 s, capped at `maxDelayMs`, default 15 s). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 15_000 };

/** Sends through one channel, retrying with exponential backoff; never throws: the outcome is the report. */
export async function deliverWithRetry(channel: AlertChannel, message: AlertMessage, policy: RetryPolicy, log: Logger): Promise<DeliveryReport> {
  let lastError = 'not attempted';
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      await channel.send(message);
      return { ok: true, attempts: attempt };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      const retryable = !(error instanceof DeliveryError) || error.retryable;
      const last = attempt === policy.attempts || !retryable;
      log[last ? 'error' : 'warn']({ channel: channel.name, attempt, reason: lastError, retryable }, last ? 'alert delivery failed' : 'alert delivery failed; retrying');
      if (last) return { ok: false, attempts: attempt, error: lastError };
      await new Promise((resolve) => setTimeout(resolve, Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))));
    }
  }
  return { ok: false, attempts: policy.attempts, error: lastError };
}
