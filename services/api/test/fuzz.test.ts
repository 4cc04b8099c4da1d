import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '@ach/platform-clients';
import type { AccountLinking } from '../src/linking/account-linking.ts';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

/** mulberry32: a failure prints its seed and replays exactly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const COUNT = 1_500;

/** Linking that refuses everything the way platforms do, so the fuzz never reaches the network. */
const refusingPlatforms: AccountLinking = {
  psn: async () => {
    throw new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.fuzz', message: 'bad npsso' });
  },
  xbox: async () => {
    throw new PlatformError({ kind: 'rate_limited', platform: 'xbox', endpoint: 'xbox.fuzz', message: 'slow down', retryAfterMs: 1500 });
  },
  steam: async () => {
    throw new PlatformError({ kind: 'private', platform: 'steam', endpoint: 'steam.fuzz', message: 'private' });
  },
};

let h: ApiHarness;
let tokens: { valid: string; other: string; expired: string; none: string; garbage: string };
beforeAll(async () => {
  h = await createApiHarness({ linking: refusingPlatforms, config: { authWebhookSecret: 'fuzz-secret', bullBoard: { user: 'u', password: 'p' } } });
  const user = await h.createUser();
  const other = await h.createUser();
  await h.linkAccount(user, 'steam');
  await h.linkAccount(user, 'xbox');
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  tokens = {
    valid: await h.token(user),
    other: await h.token(other),
    expired: await h.token(user, {}, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
    none: `${b64({ alg: 'none' })}.${b64({ sub: user, aud: 'authenticated', role: 'authenticated', exp: 9e9 })}.`,
    garbage: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
  };
});
afterAll(async () => {
  await h.close();
});

const PLATFORM_TOKENS = ['psn', 'xbox', 'steam', 'PSN', 'gog', '', '%00', '..', '💥', 'steam%2F..', 'x'.repeat(600), '__proto__', 'constructor'];
const ROUTES = [
  'POST /sync/{p}', 'GET /sync/{p}/status', 'GET /sync/{p}/events', 'GET /syncs', 'GET /syncs/{id}', 'PUT /accounts/psn', 'PUT /accounts/xbox',
  'PUT /accounts/steam', 'PUT /accounts/{p}', 'GET /accounts', 'DELETE /accounts/{p}', 'GET /me/games', 'GET /me/games/{p}/{id}/achievements',
  'POST /users/sync', 'POST /webhooks/auth-users', 'GET /health', 'GET /ready', 'GET /metrics', 'GET /openapi.json', 'GET /admin/queues/api/queues',
  'GET /{junk}', 'POST /{junk}/{junk}',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/problem+json', '', 'application/json; charset=latin1', '*/*', 'application/octet-stream'];
const IDS = ['00000000-0000-0000-0000-000000000000', crypto.randomUUID(), '1', '-1', "' or 1=1 --", '%27', 'a'.repeat(300), 'NPWR08964_00', '%F0%9F%92%A5', '..%2F..%2Fetc%2Fpasswd'];

function randomJson(r: ReturnType<typeof prng>, depth = 0): unknown {
  const kind = r.int(depth > 3 ? 4 : 7);
  switch (kind) {
    case 0: return r.int(2) === 0 ? null : r.next() * 1e12 - 5e11;
    case 1: return r.pick(['', 'full', 'incremental', 'x'.repeat(r.int(5000)), '\u0000', '\ud800', '<script>', '76561197960287930']);
    case 2: return r.int(2) === 0;
    case 3: return r.pick([Number.MAX_SAFE_INTEGER, -0, 1e308, 0.1]);
    case 4: return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default: {
      const keys = ['mode', 'npsso', 'refreshToken', 'steamId', 'vanity', 'type', 'table', 'schema', 'record', '__proto__', 'constructor', 'prototype', 'x'];
      return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.pick(keys), randomJson(r, depth + 1)]));
    }
  }
}

function randomBody(r: ReturnType<typeof prng>): string | undefined {
  switch (r.int(12)) {
    case 0: return undefined;
    case 1: return JSON.stringify(randomJson(r));
    case 2: return '['.repeat(20_000) + ']'.repeat(20_000); // deep, under the size limit
    case 3: return JSON.stringify({ mode: 'full', pad: 'x'.repeat(200_000) }); // over the size limit
    case 4: return '{"__proto__":{"polluted":true},"mode":"full"}';
    case 5: return '{"constructor":{"prototype":{"polluted":true}}}';
    case 6: return Buffer.from(Array.from({ length: r.int(300) }, () => r.int(256))).toString('latin1');
    case 7: return '{"mode": "full"'; // truncated
    case 8: return JSON.stringify({ mode: r.pick(['full', 'incremental']) });
    case 9: return JSON.stringify({ steamId: r.pick(['76561197960287930', '123', 'x']), vanity: r.pick([undefined, 'gaben']) });
    case 10: return JSON.stringify({ npsso: 'n'.repeat(r.int(700)), refreshToken: 'r'.repeat(r.int(50)) });
    default: return JSON.stringify({ type: r.pick(['INSERT', 'UPDATE', 'DELETE', 'X']), table: 'users', schema: 'auth', record: { id: r.pick(IDS) } });
  }
}

describe('fuzz', () => {
  it(`${COUNT} random and malformed requests (seed ${SEED}): no 5xx, process alive`, async () => {
    const r = prng(SEED);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < COUNT; i++) {
      const [routeMethod, template] = r.pick(ROUTES).split(' ') as [string, string];
      const method = r.int(5) === 0 ? r.pick(METHODS) : routeMethod;
      let url = template
        .replace(/\{p\}/g, () => r.pick(PLATFORM_TOKENS))
        .replace(/\{id\}/g, () => r.pick(IDS))
        .replace(/\{junk\}/g, () => r.pick(['admin', 'quality', '%zz', '..', 'a'.repeat(2000), '?', '#', '%', '\u00e9', 'sync-pull']));
      if (r.int(4) === 0) url += `?${r.pick(['limit=', 'limit=-1', 'limit=1e9', 'cursor=%%%', 'cursor=WyJ4Il0', 'platform=psn&platform=xbox', 'a[b][c]=1', 'cursor=' + 'A'.repeat(3000)])}`;
      const tokenKind = r.pick(['valid', 'valid', 'valid', 'other', 'expired', 'none', 'garbage', 'missing', 'weird'] as const);
      const headers: Record<string, string> = {};
      if (tokenKind === 'weird') headers.authorization = r.pick(['Bearer', 'Bearer ', 'bearer x.y.z', 'Basic dTpw', 'Bearer ' + 'a'.repeat(9000), 'Bearer a.b.c.d']);
      else if (tokenKind !== 'missing') headers.authorization = `Bearer ${tokens[tokenKind]}`;
      // A queued run for the valid user would keep its SSE stream open forever: not a fuzz case.
      if (url.includes('/events') && tokenKind === 'valid') headers.authorization = `Bearer ${tokens.other}`;
      const contentType = r.pick(CONTENT_TYPES);
      if (contentType) headers['content-type'] = contentType;
      if (r.int(6) === 0) headers['idempotency-key'] = r.pick(['k', '', 'x'.repeat(400), '\u00ff']);
      if (r.int(8) === 0) headers['x-webhook-secret'] = r.pick(['fuzz-secret', 'nope']);
      if (r.int(10) === 0) headers['x-request-id'] = r.pick(['abc', '../../', 'x'.repeat(500)]);
      const payload = method === 'GET' || method === 'HEAD' ? undefined : randomBody(r);
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
});
