import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '@ach/platform-clients';
import { GARBAGE_TOKEN, hostileFieldRequests, prng, randomFuzzRequest, unsignedToken, type FuzzTokens, type OpenApi } from '@ach/testing';
import type { AccountLinking } from '../src/linking/account-linking.ts';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const COUNT = 1_500;
const WEBHOOK_SECRET = 'fuzz-webhook-secret-of-at-least-32-chars';

/** Linking that refuses everything the way platforms do, so the fuzz never reaches the network. */
const refusals: Record<string, () => PlatformError> = {
  psn: () => new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.fuzz', message: 'bad npsso' }),
  xbox: () => new PlatformError({ kind: 'rate_limited', platform: 'xbox', endpoint: 'xbox.fuzz', message: 'slow down', retryAfterMs: 1500 }),
  steam: () => new PlatformError({ kind: 'private', platform: 'steam', endpoint: 'steam.fuzz', message: 'private' }),
};
const refusingPlatforms: AccountLinking = {
  link: async (platform) => {
    throw refusals[platform]!();
  },
};

let h: ApiHarness;
let tokens: FuzzTokens;
beforeAll(async () => {
  h = await createApiHarness({ linking: refusingPlatforms, config: { authWebhookSecret: WEBHOOK_SECRET, bullBoard: { user: 'u', password: 'fuzz-board-password' } } });
  const user = await h.createUser();
  const other = await h.createUser();
  await h.linkAccount(user, 'steam');
  await h.linkAccount(user, 'xbox');
  tokens = {
    valid: await h.token(user),
    other: await h.token(other),
    expired: await h.token(user, {}, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
    none: unsignedToken(user),
    garbage: GARBAGE_TOKEN,
  };
});
afterAll(async () => {
  await h.close();
});

describe('fuzz', () => {
  it(`${COUNT} random and malformed requests (seed ${SEED}): no 5xx, process alive`, async () => {
    const r = prng(SEED);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < COUNT; i++) {
      const { method, url, headers, payload, tokenKind, contentType } = randomFuzzRequest(r, tokens, WEBHOOK_SECRET);
      let res;
      try {
        res = await h.app.inject({ method, url, headers, payload });
      } catch (error) {
        failures.push(`#${i} ${method} ${url.slice(0, 80)} threw ${(error as Error).message}`);
        continue;
      }
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500) failures.push(`#${i} ${method} ${url.slice(0, 80)} [${tokenKind}, ${contentType}] → ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (res.statusCode >= 400 && method !== 'HEAD' && !url.startsWith('/admin/queues') && !res.headers['content-type']?.toString().includes('problem+json')) {
        failures.push(`#${i} ${method} ${url.slice(0, 80)} → ${res.statusCode} without problem+json`);
      }
    }
    expect(failures, `seed ${SEED}; statuses ${JSON.stringify([...statuses])}`).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const alive = await h.app.inject({ method: 'GET', url: '/health' });
    expect(alive.statusCode).toBe(200);
    // Most requests should reach deep enough to matter, not bounce at the door.
    expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThan(0);
  });

  it('every path, query, header and body field of every documented route, with NUL, overlong UTF-8, lone surrogates and 30 KB: a 4xx naming no more than it must', async () => {
    const spec = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApi;
    const logsFrom = h.logs.lines.length;
    const failures: string[] = [];
    let sent = 0;
    for (const { label, request } of hostileFieldRequests(spec, { tokens, webhookSecret: WEBHOOK_SECRET })) {
      sent += 1;
      let res;
      try {
        res = await h.app.inject(request);
      } catch (error) {
        failures.push(`${label} threw ${(error as Error).message}`);
        continue;
      }
      if (res.statusCode >= 500) failures.push(`${label} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (res.statusCode >= 400) {
        if (!res.headers['content-type']?.toString().includes('problem+json')) failures.push(`${label} → ${res.statusCode} without problem+json`);
        // A refusal must not hand the 30 KB back.
        if (res.body.length > 2_000) failures.push(`${label} → ${res.statusCode} with a ${res.body.length}-byte body`);
      }
    }
    expect(sent).toBeGreaterThan(200);
    expect(failures).toEqual([]);
    // Bad input is the client's problem: nothing at error level (that is for what pages someone).
    const errorLines = h.logs.lines.slice(logsFrom).filter((line) => ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50);
    expect(errorLines.map((line) => line.slice(0, 300))).toEqual([]);
  });
});

