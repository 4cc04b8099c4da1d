import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '@ach/platform-clients';
import { createTestRedis, type TestRedis } from '@ach/testing';
import { createKeyedRateLimiter, createRedisWindowLimiter, RateBudgetSpentError, type WindowLimiter } from '../src/index.ts';
import { decideFailure } from '../src/runner/failure-policy.ts';

/** The shared windowed limiter: several instances (as several worker replicas) on separate connections. */
let r: TestRedis;
const connections: Redis[] = [];

beforeAll(() => {
  r = createTestRedis();
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await r.cleanup();
});

function replicas(n: number, windows: { max: number; windowMs: number }[], extra: { maxWaitMs?: number } = {}): WindowLimiter[] {
  return Array.from({ length: n }, () => {
    const redis = new Redis(r.url, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    return createRedisWindowLimiter({ redis, prefix: `${r.prefix}:rl`, windows, ...extra });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('redis window limiter', () => {
  it('grants exactly N of many concurrent calls across replicas, answers the rest with the wait until a slot frees, and keys are independent', async () => {
    const limiters = replicas(3, [{ max: 10, windowMs: 2_000 }]);
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => limiters[i % 3]!.tryTake('acct-a')));
    expect(outcomes.filter((o) => o.granted)).toHaveLength(10);
    for (const o of outcomes.filter((x) => !x.granted)) {
      expect(o.granted).toBe(false);
      if (!o.granted) {
        expect(o.waitMs).toBeGreaterThan(0);
        expect(o.waitMs).toBeLessThanOrEqual(2_000);
      }
    }
    // Another key has its own budget.
    expect(await limiters[0]!.tryTake('acct-b')).toEqual({ granted: true });
  });

  it('take waits for the window instead of failing, and no span of one window ever holds more than N grants', async () => {
    const windowMs = 600;
    const max = 5;
    const limiters = replicas(4, [{ max, windowMs }]);
    const redis = connections.at(-1)!;
    const grants: number[] = [];
    // Redis' own clock, the one the limiter reads, stamps each grant.
    const redisNow = async () => {
      const [s, us] = await redis.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };
    // Callers keep arriving (one every 40 ms, on four replicas), as titles do in a sync: a window that
    // reset at fixed boundaries would let a burst at the end of one window and another at the start of
    // the next through within one span.
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        await sleep(i * 40);
        await limiters[i % 4]!.take('acct-pace');
        grants.push(await redisNow());
      }),
    );
    expect(grants).toHaveLength(24);
    grants.sort((a, b) => a - b);
    // 24 calls at 5 per 600 ms need at least four full windows beyond the first burst.
    expect(grants.at(-1)! - grants[0]!).toBeGreaterThanOrEqual(4 * windowMs - 50);
    // The stamp comes after the grant; allow that lag when counting grants per span.
    for (let i = 0; i < grants.length; i++) {
      const inSpan = grants.filter((g) => g >= grants[i]! && g < grants[i]! + windowMs - 150).length;
      expect(inSpan).toBeLessThanOrEqual(max);
    }
  });

  it('checks every window at once: a short burst limit and a longer budget', async () => {
    const [limiter] = replicas(1, [
      { max: 3, windowMs: 300 },
      { max: 5, windowMs: 5_000 },
    ]);
    const first = await Promise.all(Array.from({ length: 4 }, () => limiter!.tryTake('two-windows')));
    expect(first.filter((o) => o.granted)).toHaveLength(3);
    await sleep(350);
    const second = await Promise.all(Array.from({ length: 4 }, () => limiter!.tryTake('two-windows')));
    // The short window reopened, but the long one has only 2 left.
    expect(second.filter((o) => o.granted)).toHaveLength(2);
    const refused = second.find((o) => !o.granted);
    expect(refused && !refused.granted && refused.waitMs).toBeGreaterThan(4_000);
  });

  it('a wait beyond maxWaitMs is not sat out: RateBudgetSpentError, which the runner turns into a delay (not an attempt)', async () => {
    const [limiter] = replicas(1, [{ max: 1, windowMs: 60_000 }], { maxWaitMs: 1_000 });
    await limiter!.take('long-wait');
    const error = await limiter!.take('long-wait').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateBudgetSpentError);
    expect((error as RateBudgetSpentError).retryAfterMs).toBeGreaterThan(50_000);
    const decision = decideFailure(error, () => 'PlayStation Network', { platform: 'psn' });
    expect(decision).toMatchObject({ action: 'delay', code: 'rate_limited' });
    expect(decision.message).toMatch(/^PlayStation Network allows only so many requests/);
  });

  it('block holds the key on every replica until it ends', async () => {
    const [a, b] = replicas(2, [{ max: 100, windowMs: 1_000 }]);
    await a!.block('blocked', 400);
    const outcome = await b!.tryTake('blocked');
    expect(outcome.granted).toBe(false);
    expect(!outcome.granted && outcome.waitMs).toBeGreaterThan(300);
    await sleep(450);
    expect(await b!.tryTake('blocked')).toEqual({ granted: true });
  });
});

describe('keyed rate limiter (the client hook)', () => {
  it('paces only calls inside a scope, against the scope’s key; a short 429 blocks the key, is waited out and the call asked again', async () => {
    const [windows] = replicas(1, [{ max: 2, windowMs: 60_000 }], { maxWaitMs: 100 });
    const keyed = createKeyedRateLimiter(windows!);
    // Outside a scope: not paced at all.
    for (let i = 0; i < 5; i++) await keyed.take();
    await keyed.within('k1', async () => {
      await keyed.take();
      await keyed.take();
    });
    // The third call of k1 in the window would wait a minute: beyond maxWaitMs.
    await expect(keyed.within('k1', () => keyed.take())).rejects.toBeInstanceOf(RateBudgetSpentError);
    await keyed.within('k2', () => keyed.take());

    let calls = 0;
    const result = await keyed.within('k3', async () => {
      calls += 1;
      if (calls === 1) throw new PlatformError({ kind: 'rate_limited', platform: 'psn', endpoint: 'psn.trophyTitles', message: '429', retryAfterMs: 200 });
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(2);

    // A long 429 is the runner's business: rethrown, and the key stays blocked for it.
    const long = new PlatformError({ kind: 'rate_limited', platform: 'psn', endpoint: 'psn.trophyTitles', message: '429', retryAfterMs: 120_000 });
    await expect(keyed.within('k4', () => Promise.reject(long))).rejects.toBe(long);
    const after = await windows!.tryTake('k4');
    expect(!after.granted && after.waitMs).toBeGreaterThan(100_000);
  });
});
