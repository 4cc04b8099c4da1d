import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

// Two replicas of the API on one Redis and one database: the per-user limit must hold across both.
let a: ApiHarness;
let b: ApiHarness;
beforeAll(async () => {
  const app = { rateLimit: { syncMax: 3, linkMax: 1_000 } };
  a = await createApiHarness({ app });
  b = await createApiHarness({ app, database: a.database, config: { queuePrefix: a.prefix } });
});
afterAll(async () => {
  await b.close();
  await a.close();
});

describe('POST /sync/:platform rate limit (Redis, per user, pipelined)', () => {
  it('counts concurrent requests on two replicas together, per user', async () => {
    const user = await a.createUser();
    await a.linkAccount(user, 'steam');
    const headers = await a.bearer(user);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).app.inject({ method: 'POST', url: '/sync/steam', headers })),
    );
    const accepted = responses.filter((r) => r.statusCode === 202);
    const limited = responses.filter((r) => r.statusCode === 429);
    expect(accepted).toHaveLength(3);
    expect(limited).toHaveLength(7);
    expect(new Set(accepted.map((r) => r.json().syncId)).size).toBe(1);
    for (const r of limited) {
      expect(r.json()).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }

    // RedisStore's key layout and a window TTL, so replicas on the stock store would count along.
    const redis = new Redis(a.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const key = `${a.prefix}:rate-limit:POST/sync/:platform-${user}`;
      expect(await redis.get(key)).toBe('10');
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }

    // Another user has a budget of their own.
    const other = await a.createUser();
    await a.linkAccount(other, 'steam');
    const theirs = await b.app.inject({ method: 'POST', url: '/sync/steam', headers: await b.bearer(other) });
    expect(theirs.statusCode).toBe(202);
  });
});

describe('linking routes rate limit (one budget for the whole group)', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness({ app: { rateLimit: { syncMax: 1_000, linkMax: 2 } } });
  });
  afterAll(async () => h.close());

  it('counts PUT and DELETE on every platform against the same per-user budget', async () => {
    const user = await h.createUser();
    const headers = await h.bearer(user);
    const first = await h.app.inject({ method: 'DELETE', url: '/accounts/psn', headers });
    const second = await h.app.inject({ method: 'DELETE', url: '/accounts/xbox', headers });
    const third = await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers, payload: { steamId: '76561198000000001' } });
    expect(first.statusCode).not.toBe(429);
    expect(second.statusCode).not.toBe(429);
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ status: 429, code: 'rate_limited' });

    const other = await h.createUser();
    const theirs = await h.app.inject({ method: 'DELETE', url: '/accounts/psn', headers: await h.bearer(other) });
    expect(theirs.statusCode).not.toBe(429);
  });
});
