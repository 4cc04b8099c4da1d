import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '@ach/testing';
import { createApp } from '../src/app.ts';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

const BOARD = { user: 'ops', password: 'throttle-board-password' };
const WEBHOOK_SECRET = 'throttle-webhook-secret-of-32-characters';
const MAX_FAILURES = 10;
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const hook = (secret: string) => ({ 'x-webhook-secret': secret });
const webhookPayload = (id: string) => ({ type: 'INSERT', table: 'users', schema: 'auth', record: { id }, old_record: null });

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness({ config: { bullBoard: BOARD, authWebhookSecret: WEBHOOK_SECRET } });
  // The producer connection fails fast: until it is up, failures go uncounted (by design, fail open).
  if (h.deps.redis.status !== 'ready') await once(h.deps.redis, 'ready');
});
afterAll(async () => {
  await h.close();
});

const board = (remoteAddress: string, headers: Record<string, string> = {}, app = h.app) =>
  app.inject({ method: 'GET', url: '/admin/queues', remoteAddress, headers });
const webhook = async (remoteAddress: string, secret: string) =>
  h.app.inject({ method: 'POST', url: '/webhooks/auth-users', remoteAddress, headers: hook(secret), payload: webhookPayload(await h.createUser()) });

describe('failed Bull Board logins are throttled per address', () => {
  it(`after ${MAX_FAILURES} wrong passwords the address gets 429 + Retry-After, even with the right one; another address is unaffected`, async () => {
    const attacker = '203.0.113.7';
    for (let i = 0; i < MAX_FAILURES; i++) expect((await board(attacker, basic(BOARD.user, `guess-${i}`))).statusCode).toBe(401);

    const right = await board(attacker, basic(BOARD.user, BOARD.password));
    expect(right.statusCode).toBe(429);
    expect(right.headers['content-type']).toContain('application/problem+json');
    expect(right.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(right.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    expect((await board(attacker, basic(BOARD.user, 'guess-again'))).statusCode).toBe(429);

    expect((await board('203.0.113.8', basic(BOARD.user, BOARD.password))).statusCode).toBe(200);
    expect(await h.deps.redis.exists(`${h.deps.config.queuePrefix}:auth-failures:bull-board:${attacker}`)).toBe(1);
  });

  it('requests without credentials (a browser before its prompt) and successful logins do not count', async () => {
    const operator = '198.51.100.20';
    for (let i = 0; i < MAX_FAILURES * 2; i++) expect((await board(operator)).statusCode).toBe(401);
    for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await board(operator, basic(BOARD.user, `typo-${i}`))).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) expect((await board(operator, basic(BOARD.user, BOARD.password))).statusCode).toBe(200);
    expect((await board(operator, basic(BOARD.user, 'last-typo'))).statusCode).toBe(401);
    expect((await board(operator, basic(BOARD.user, BOARD.password))).statusCode).toBe(429);
  });

  it('the count is shared by every replica using the same Redis', async () => {
    const replica = await createApp(h.deps, { docs: false });
    try {
      const attacker = '203.0.113.30';
      for (let i = 0; i < MAX_FAILURES / 2; i++) expect((await board(attacker, basic(BOARD.user, `a-${i}`))).statusCode).toBe(401);
      for (let i = 0; i < MAX_FAILURES / 2; i++) expect((await board(attacker, basic(BOARD.user, `b-${i}`), replica)).statusCode).toBe(401);
      expect((await board(attacker, basic(BOARD.user, BOARD.password), replica)).statusCode).toBe(429);
      expect((await board(attacker, basic(BOARD.user, BOARD.password))).statusCode).toBe(429);
    } finally {
      await replica.close();
    }
  });

  it('a burst of parallel guesses cannot get more than the budget checked', async () => {
    const attacker = '203.0.113.40';
    // The right password sent after 3 × the budget of wrong ones in one burst still gets 429.
    const burst = Array.from({ length: MAX_FAILURES * 3 }, (_, i) => board(attacker, basic(BOARD.user, `burst-${i}`)));
    burst.push(board(attacker, basic(BOARD.user, BOARD.password)));
    const statuses = (await Promise.all(burst)).map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('wrong auth webhook secrets are throttled per address', () => {
  it(`after ${MAX_FAILURES} wrong secrets: 429 even with the right secret; another address is unaffected`, async () => {
    const attacker = '192.0.2.50';
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await webhook(attacker, `wrong-secret-${i}`);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_webhook_secret');
    }
    const right = await webhook(attacker, WEBHOOK_SECRET);
    expect(right.statusCode).toBe(429);
    expect(right.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect((await webhook('192.0.2.51', WEBHOOK_SECRET)).statusCode).toBe(200);
  });
});

describe('with Redis down', () => {
  let redis: OwnRedis;
  let down: ApiHarness;
  beforeAll(async () => {
    redis = await startOwnRedis();
    down = await createApiHarness({ redisUrl: redis.url, database: h.database, config: { bullBoard: BOARD, authWebhookSecret: WEBHOOK_SECRET } });
  });
  afterAll(async () => {
    await down.close();
    await redis.stop();
  });

  it('nothing is counted but the secret is still checked: wrong → 401, right → 200', async () => {
    await redis.stop();
    const ip = '198.51.100.99';
    for (let i = 0; i < MAX_FAILURES + 2; i++) {
      const res = await down.app.inject({ method: 'POST', url: '/webhooks/auth-users', remoteAddress: ip, headers: hook(`nope-${i}`), payload: webhookPayload(await h.createUser()) });
      expect(res.statusCode).toBe(401);
    }
    const ok = await down.app.inject({ method: 'POST', url: '/webhooks/auth-users', remoteAddress: ip, headers: hook(WEBHOOK_SECRET), payload: webhookPayload(await h.createUser()) });
    expect(ok.statusCode).toBe(200);
    expect((await down.app.inject({ method: 'GET', url: '/admin/queues', remoteAddress: ip, headers: basic(BOARD.user, 'wrong') })).statusCode).toBe(401);
  });
});
