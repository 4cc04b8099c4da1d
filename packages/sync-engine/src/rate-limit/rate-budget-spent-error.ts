/**
 * Our own call budget (the shared window limiter) is spent for longer than a job should sit and wait:
 * the runner delays the job by `retryAfterMs` — like a platform's 429, not a failed attempt — and
 * frees the worker slot for other users meanwhile. Titles fetched before it are still written.
 */
export class RateBudgetSpentError extends Error {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super(`the call budget is spent for ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'RateBudgetSpentError';
    this.retryAfterMs = retryAfterMs;
  }
}
