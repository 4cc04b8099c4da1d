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
let tokens: { valid: string; other: string; expired: string; none: string; garbage: string };
beforeAll(async () => {
  h = await createApiHarness({ linking: refusingPlatforms, config: { authWebhookSecret: 'fuzz-webhook-secret-of-at-least-32-chars', bullBoard: { user: 'u', password: 'fuzz-board-password' } } });
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

const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
/** Cursors shaped like ours but forged (a bad timestamp or a NUL in one used to reach Postgres: 500). */
const FORGED_CURSORS = [
  cursorOf(['garbage', 1, 'x']),
  cursorOf(['2024-05-01 00:00:00+00', 1, 'a\u0000b']),
  cursorOf(['2024-05-01 00:00:00+00', 1, 'a\ud800b']),
  cursorOf(['2024-02-30 00:00:00+00', 1, 'x']),
  cursorOf(['2024-05-01 00:00:00+00', 4, 'x']),
  cursorOf(['2024-05-01 00:00:00+00', 0, 'x']),
  cursorOf(['2024-05-01 00:00:00+00', 1.5, 'x']),
  cursorOf(['garbage', '6f1c2a8e-4b7d-4c1e-9a3f-2d5e8b0c7a91']),
  cursorOf(['2024-05-01 00:00:00+00\u0000', '6f1c2a8e-4b7d-4c1e-9a3f-2d5e8b0c7a91']),
  cursorOf([null, 'not-a-uuid']),
];
/** Already URL-encoded: NUL, overlong UTF-8 (C0 80 = an overlong NUL, C0 AF = '/'), a CESU-8 lone surrogate. */
const HOSTILE_URL_TEXT = ['%00', 'a%00b', '%C0%80', '%C0%AF', '%ED%A0%80', 'a%ED%B0%80', '%F0%9F%92', 'x'.repeat(30_000)];
const PLATFORM_TOKENS = ['psn', 'xbox', 'steam', 'PSN', 'gog', '', '..', '💥', 'steam%2F..', 'x'.repeat(600), '__proto__', 'constructor', ...HOSTILE_URL_TEXT];
const ROUTES = [
  'POST /sync/{p}', 'GET /sync/{p}/status', 'GET /sync/{p}/events', 'GET /syncs', 'GET /syncs/{id}', 'PUT /accounts/psn', 'PUT /accounts/xbox',
  'PUT /accounts/steam', 'PUT /accounts/{p}', 'GET /accounts', 'DELETE /accounts/{p}', 'GET /me/games', 'GET /me/games/{p}/{id}/achievements',
  'POST /users/sync', 'POST /webhooks/auth-users', 'GET /health', 'GET /ready', 'GET /metrics', 'GET /openapi.json', 'GET /admin/queues/api/queues',
  'GET /{junk}', 'POST /{junk}/{junk}',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/problem+json', '', 'application/json; charset=latin1', '*/*', 'application/octet-stream'];
const IDS = ['00000000-0000-0000-0000-000000000000', crypto.randomUUID(), '1', '-1', "' or 1=1 --", '%27', 'a'.repeat(300), 'NPWR08964_00', '%F0%9F%92%A5', '..%2F..%2Fetc%2Fpasswd', ...HOSTILE_URL_TEXT];

/** Where a JSON string should carry raw overlong UTF-8 bytes (Node decodes them to U+FFFD). */
const OVERLONG = 'overlong-utf8-bytes-here';
const OVERLONG_BYTES = Buffer.from([0x61, 0xc0, 0x80, 0x62, 0xc0, 0xaf, 0xe0, 0x80, 0xaf]);
function overlongJson(value: unknown): Buffer {
  const parts = JSON.stringify(value).split(OVERLONG);
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [OVERLONG_BYTES, Buffer.from(part)])));
}

function randomJson(r: ReturnType<typeof prng>, depth = 0): unknown {
  const kind = r.int(depth > 3 ? 4 : 7);
  switch (kind) {
    case 0: return r.int(2) === 0 ? null : r.next() * 1e12 - 5e11;
    case 1: return r.pick(['', 'full', 'incremental', 'x'.repeat(r.int(5000)), '\u0000', 'a\u0000', '\ud800', '\udc00x', 'x'.repeat(30_000), '<script>', '76561197960287930']);
    case 2: return r.int(2) === 0;
    case 3: return r.pick([Number.MAX_SAFE_INTEGER, -0, 1e308, 0.1]);
    case 4: return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default: {
      const keys = ['mode', 'npsso', 'refreshToken', 'steamId', 'vanity', 'type', 'table', 'schema', 'record', '__proto__', 'constructor', 'prototype', 'x'];
      return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.pick(keys), randomJson(r, depth + 1)]));
    }
  }
}

function randomBody(r: ReturnType<typeof prng>): string | Buffer | undefined {
  switch (r.int(13)) {
    case 12: return overlongJson({ [r.pick(['mode', 'npsso', 'vanity', 'refreshToken', 'type'])]: OVERLONG });
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
      if (r.int(4) === 0) {
        url += `?${r.pick(['limit=', 'limit=-1', 'limit=1e9', 'cursor=%%%', 'cursor=WyJ4Il0', 'platform=psn&platform=xbox', 'a[b][c]=1', 'cursor=' + 'A'.repeat(3000),
          `cursor=${r.pick(FORGED_CURSORS)}`, `${r.pick(['cursor', 'platform', 'limit'])}=${r.pick(HOSTILE_URL_TEXT)}`])}`;
      }
      const tokenKind = r.pick(['valid', 'valid', 'valid', 'other', 'expired', 'none', 'garbage', 'missing', 'weird'] as const);
      const headers: Record<string, string> = {};
      if (tokenKind === 'weird') headers.authorization = r.pick(['Bearer', 'Bearer ', 'bearer x.y.z', 'Basic dTpw', 'Bearer ' + 'a'.repeat(9000), 'Bearer a.b.c.d']);
      else if (tokenKind !== 'missing') headers.authorization = `Bearer ${tokens[tokenKind]}`;
      // A queued run for the valid user would keep its SSE stream open forever: not a fuzz case.
      if (url.includes('/events') && tokenKind === 'valid') headers.authorization = `Bearer ${tokens.other}`;
      const contentType = r.pick(CONTENT_TYPES);
      if (contentType) headers['content-type'] = contentType;
      if (r.int(6) === 0) headers['idempotency-key'] = r.pick(['k', '', 'x'.repeat(400), '\u00ff']);
      if (r.int(8) === 0) headers['x-webhook-secret'] = r.pick(['fuzz-webhook-secret-of-at-least-32-chars', 'nope']);
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

  it('every path, query, header and body field of every documented route, with NUL, overlong UTF-8, lone surrogates and 30 KB: a 4xx naming no more than it must', async () => {
    const operations = documentedOperations((await h.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApi);
    // The spec drives this, so a new route is fuzzed without anyone remembering to add it.
    expect(operations.length).toBeGreaterThan(10);
    const logsFrom = h.logs.lines.length;
    const failures: string[] = [];
    let sent = 0;
    for (const op of operations) {
      const targets: Target[] = [...op.params, ...op.bodyFields.map((path): Target => ({ in: 'body', name: path.join('.'), path }))];
      for (const target of targets) {
        const values = target.in === 'query' && target.name === 'cursor' ? [...HOSTILE_VALUES, ...FORGED_CURSORS.map(forgedCursorValue)] : HOSTILE_VALUES;
        for (const value of values) {
          const request = buildRequest(op, target, value);
          if (!request) continue;
          sent += 1;
          const label = `${op.method} ${op.path} ${target.in}.${target.name} = ${value.label}`;
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
      }
    }
    expect(sent).toBeGreaterThan(200);
    expect(failures).toEqual([]);
    // Bad input is the client's problem: nothing at error level (that is for what pages someone).
    const errorLines = h.logs.lines.slice(logsFrom).filter((line) => ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50);
    expect(errorLines.map((line) => line.slice(0, 300))).toEqual([]);
  });
});

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
}
interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}
type Target = { in: 'path' | 'query' | 'header'; name: string } | { in: 'body'; name: string; path: string[] };
interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  params: Target[];
  bodyFields: string[][];
}

/** Every JSON body property path a schema names (through anyOf/oneOf/allOf), a few levels deep. */
function bodyFieldPaths(schema: JsonSchema | undefined, prefix: string[] = []): string[][] {
  if (!schema || prefix.length > 3) return [];
  const nested = [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].flatMap((s) => bodyFieldPaths(s, prefix));
  const own = Object.entries(schema.properties ?? {}).flatMap(([key, child]) => [[...prefix, key], ...bodyFieldPaths(child, [...prefix, key])]);
  const seen = new Set<string>();
  return [...own, ...nested].filter((path) => !seen.has(path.join('.')) && seen.add(path.join('.')));
}

function documentedOperations(spec: OpenApi): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase() as Operation['method'],
        path,
        params: (op.parameters ?? []).filter((p) => ['path', 'query', 'header'].includes(p.in)).map((p) => ({ in: p.in, name: p.name }) as Target),
        bodyFields: bodyFieldPaths(op.requestBody?.content?.['application/json']?.schema),
      })),
  );
}

/** One hostile value as each part of a request can carry it (undefined: that part cannot). */
interface HostileValue {
  label: string;
  /** Already percent-encoded, for a path segment or a query value. */
  url: string;
  /** Latin-1 only: what an HTTP header can carry at all. */
  header?: string;
  /** A JSON string value; OVERLONG marks raw overlong bytes. */
  json: string;
}
const HOSTILE_VALUES: HostileValue[] = [
  { label: 'NUL', url: '%00', header: '\u0000', json: '\u0000' },
  { label: 'NUL inside', url: 'a%00b', header: 'a\u0000b', json: 'a\u0000b' },
  { label: 'overlong UTF-8', url: 'a%C0%80b%C0%AF', header: 'a\u00c0\u0080b', json: OVERLONG },
  { label: 'lone high surrogate', url: 'a%ED%A0%80b', json: 'a\ud800b' },
  { label: 'lone low surrogate', url: '%ED%B0%80', json: '\udc00' },
  { label: 'truncated UTF-8', url: '%F0%9F%92', header: '\u00f0\u009f', json: '\ud83d' },
  { label: '30 KB', url: 'x'.repeat(30_000), header: 'x'.repeat(30_000), json: 'x'.repeat(30_000) },
  { label: '30 KB multibyte', url: encodeURIComponent('é'.repeat(15_000)), json: '💥'.repeat(7_500) },
  { label: '30 KB then NUL', url: `${'x'.repeat(30_000)}%00`, header: `${'x'.repeat(30_000)}\u0000`, json: `${'x'.repeat(30_000)}\u0000` },
];
const forgedCursorValue = (cursor: string, i: number): HostileValue => ({ label: `forged cursor #${i}`, url: cursor, header: cursor, json: cursor });

/** Valid values for everything but the field under test, so that field is what gets judged. */
const PATH_DEFAULTS: Record<string, string> = { platform: 'steam', syncId: '00000000-0000-4000-8000-000000000000', platformGameId: '440' };
const BODY_DEFAULTS: Record<string, Record<string, unknown>> = {
  'POST /webhooks/auth-users': { type: 'INSERT', table: 'users', schema: 'auth', record: { id: '00000000-0000-4000-8000-000000000000' } },
};
const WEBHOOK_SECRET = 'fuzz-webhook-secret-of-at-least-32-chars';

function buildRequest(op: Operation, target: Target, value: HostileValue) {
  if (target.in === 'header' && value.header === undefined) return undefined;
  let url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => (target.in === 'path' && target.name === name ? value.url : (PATH_DEFAULTS[name] ?? 'x')));
  if (target.in === 'query') url += `?${target.name}=${value.url}`;
  const headers: Record<string, string> = {
    // A stream of a user with no runs ends at once; the valid user may have a queued run after this test's POSTs.
    authorization: `Bearer ${op.path.endsWith('/events') ? tokens.other : tokens.valid}`,
    'x-webhook-secret': WEBHOOK_SECRET,
  };
  if (target.in === 'header') headers[target.name] = value.header!;
  let payload: string | Buffer | undefined;
  if (op.bodyFields.length > 0 || target.in === 'body') {
    headers['content-type'] = 'application/json';
    const body = structuredClone(BODY_DEFAULTS[`${op.method} ${op.path}`] ?? {});
    if (target.in === 'body') {
      let at: Record<string, unknown> = body;
      for (const key of target.path.slice(0, -1)) {
        if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
        at = at[key] as Record<string, unknown>;
      }
      at[target.path.at(-1)!] = value.json;
    }
    payload = value.json === OVERLONG ? overlongJson(body) : JSON.stringify(body);
  }
  return { method: op.method, url, headers, ...(payload === undefined ? {} : { payload }) };
}
