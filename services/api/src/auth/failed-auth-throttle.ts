import type { FastifyBaseLogger } from 'fastify';
import type { ClientContext, Result } from 'ioredis';
import type { RedisClient } from '@ach/queue';
import { ProblemError } from '../problem.ts';

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** increment '1' counts a failure (window ms starts on the first); '0' only reads. Replies [failures, pttl]. */
    achAuthFailures(key: string, increment: '0' | '1', windowMs: number): Result<[number, number], Context>;
  }
}

const AUTH_FAILURES_SCRIPT = `
local n
if ARGV[1] == '1' then
  n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
else
  n = tonumber(redis.call('GET', KEYS[1]) or '0')
end
return {n, redis.call('PTTL', KEYS[1])}`;

export interface FailedAuthThrottle {
  /**
   * Call right after checking the presented secret, with the verdict; never await anything between
   * the check and this call. Returns the seconds to wait when the address is locked out (answer 429
   * whatever the verdict was), otherwise undefined (answer by the verdict).
   */
  lockedOutFor(ip: string, passed: boolean): Promise<number | undefined>;
}

export interface FailedAuthThrottleOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX: keys are `<prefix>:auth-failures:<scope>:<ip>`. */
  keyPrefix: string;
  /** Which secret is being guessed (`bull-board`, `auth-webhook`): separate budgets. */
  scope: string;
  log: FastifyBaseLogger;
  maxFailures?: number;
  windowMs?: number;
}

/**
 * Throttles guessing of a shared secret per client address: after `maxFailures` wrong secrets in a
 * fixed window every attempt from that address — the right secret included — gets 429 until the
 * window ends. Refusing the right secret too is what makes the lock-out hold: otherwise a guesser
 * would learn the answer from the one request that is not 429.
 *
 * Counted in Redis so the budget holds across replicas. The secret is checked first and the count
 * read (or bumped) after, in one script call: commands reach Redis in the order requests were
 * checked, so in a burst of parallel guesses a correct one sees every wrong one sent before it — a
 * burst cannot slip more than `maxFailures` guesses through. Only presented-and-wrong secrets count
 * (a browser's first request without credentials does not). Redis unreachable: nothing is counted
 * and the secret alone decides — a Redis outage must not lock operators out.
 *
 * The address is Fastify's `request.ip`: the socket peer, since trustProxy is off. Behind a reverse
 * proxy every client shares the proxy's address, so one guesser locks everyone out for the window.
 */
export function createFailedAuthThrottle(options: FailedAuthThrottleOptions): FailedAuthThrottle {
  const { redis, keyPrefix, scope, log, maxFailures = 10, windowMs = 15 * 60_000 } = options;
  if (typeof redis.achAuthFailures !== 'function') redis.defineCommand('achAuthFailures', { numberOfKeys: 1, lua: AUTH_FAILURES_SCRIPT });

  return {
    async lockedOutFor(ip, passed) {
      let failures: number;
      let ttlMs: number;
      try {
        [failures, ttlMs] = await redis.achAuthFailures(`${keyPrefix}:auth-failures:${scope}:${ip}`, passed ? '0' : '1', windowMs);
      } catch (error) {
        log.warn({ err: error, scope }, 'failed-authentication counter unavailable; secret checked without throttling');
        return undefined;
      }
      // A failure is counted before it is judged: the one that makes maxFailures still gets its 401.
      const locked = passed ? failures >= maxFailures : failures > maxFailures;
      if (!locked) return undefined;
      if (failures === maxFailures + 1) log.warn({ scope, ip, windowMs }, 'too many failed authentication attempts; address locked out');
      return Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000));
    },
  };
}

/** The answer to a locked-out address: 429 problem+json with Retry-After. */
export function lockedOutProblem(retryAfterSeconds: number): ProblemError {
  return new ProblemError(429, 'rate_limited', `Too many failed authentication attempts from this address; retry in ${retryAfterSeconds} s`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
