import { AsyncLocalStorage } from 'node:async_hooks';
import { isPlatformError } from '@ach/platform-clients';
import type { RateLimiter } from './redis-token-bucket.ts';
import { DEFAULT_MAX_INLINE_WAIT_MS, type WindowLimiter } from './redis-window-limiter.ts';

/**
 * A window limiter as the client's `beforeCall` hook, for budgets that belong to a key rather than to
 * the whole platform (PSN: per account; Xbox: per user and title). One client serves every job of a
 * worker, and `beforeCall` only knows the endpoint — so the adapter names the key around its calls
 * with `within(key, fn)` (an AsyncLocalStorage scope), and every HTTP call inside, paging included,
 * takes a slot of that key's budget. Calls made outside any scope (e.g. token refreshes, which the
 * platform does not count) are not paced.
 */
export interface KeyedRateLimiter extends RateLimiter {
  /**
   * Runs `fn` with its calls counted against `key`. A 429 inside (a `rate_limited` PlatformError)
   * blocks `key` on every replica until the platform's Retry-After / X-RateLimit-Next-Available; a
   * short wait is sat out and `fn` asked again, a long one is rethrown for the runner to delay the
   * job (not an attempt).
   */
  within<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface KeyedRateLimiterOptions {
  /** Longest 429 wait sat out in the job (default 30 s, like the limiter's own). */
  maxInlineWaitMs?: number;
  /** 429s in a row for one `fn` before it is given up to the runner (default 5). */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function isKeyedRateLimiter(limiter: RateLimiter | undefined): limiter is KeyedRateLimiter {
  return typeof (limiter as Partial<KeyedRateLimiter> | undefined)?.within === 'function';
}

export function createKeyedRateLimiter(limiter: WindowLimiter, options: KeyedRateLimiterOptions = {}): KeyedRateLimiter {
  const scope = new AsyncLocalStorage<string>();
  const maxInlineWaitMs = options.maxInlineWaitMs ?? DEFAULT_MAX_INLINE_WAIT_MS;
  const maxRetries = options.maxRetries ?? 5;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  return {
    async take() {
      const key = scope.getStore();
      if (key !== undefined) await limiter.take(key);
    },
    // The runner's platform-wide pause has no key to pause: 429s block their key in `within`, where it is known.
    async pause() {},
    async within(key, fn) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await scope.run(key, fn);
        } catch (error) {
          if (!isPlatformError(error) || error.kind !== 'rate_limited') throw error;
          const waitMs = error.retryAfterMs ?? maxInlineWaitMs + 1;
          await limiter.block(key, waitMs);
          if (waitMs > maxInlineWaitMs || attempt >= maxRetries) throw error;
          await sleep(waitMs + Math.floor(Math.random() * 25));
        }
      }
    },
  };
}
