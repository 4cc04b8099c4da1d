/**
 * The API fuzz's random request set: routes, methods, tokens, content types, headers and bodies drawn
 * from a seeded generator, so a failure prints its seed and replays exactly. Shared by the API's fuzz
 * test (app.inject) and the reliability suite's security sweep (real HTTP against the running system).
 */

/** mulberry32: a failure prints its seed and replays exactly. */
export function prng(seed: number) {
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
export type Prng = ReturnType<typeof prng>;

const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
/** Cursors shaped like ours but forged (a bad timestamp or a NUL in one used to reach Postgres: 500). */
export const FORGED_CURSORS = [
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
export const HOSTILE_URL_TEXT = ['%00', 'a%00b', '%C0%80', '%C0%AF', '%ED%A0%80', 'a%ED%B0%80', '%F0%9F%92', 'x'.repeat(30_000)];
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
export const OVERLONG = 'overlong-utf8-bytes-here';
const OVERLONG_BYTES = Buffer.from([0x61, 0xc0, 0x80, 0x62, 0xc0, 0xaf, 0xe0, 0x80, 0xaf]);
export function overlongJson(value: unknown): Buffer {
  const parts = JSON.stringify(value).split(OVERLONG);
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [OVERLONG_BYTES, Buffer.from(part)])));
}

function randomJson(r: Prng, depth = 0): unknown {
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

function randomBody(r: Prng): string | Buffer | undefined {
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

/**
 * The bearer tokens the fuzz picks from: a user's valid token (`valid`), another user's with no sync
 * runs (`other`: their progress stream ends at once), an expired one, an unsigned `alg: none` one and
 * one with a made-up signature.
 */
export interface FuzzTokens {
  valid: string;
  other: string;
  expired: string;
  none: string;
  garbage: string;
}

/** A token with a made-up signature (HS256 header, `sub: x`). */
export const GARBAGE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | Buffer | undefined;
  /** Which token (or none, or a malformed header) it carries: for the failure message. */
  tokenKind: string;
  contentType: string;
}

/** One random, often malformed request. `webhookSecret` is the API's AUTH_WEBHOOK_SECRET (sometimes sent right). */
export function randomFuzzRequest(r: Prng, tokens: FuzzTokens, webhookSecret: string): FuzzRequest {
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
  if (r.int(8) === 0) headers['x-webhook-secret'] = r.pick([webhookSecret, 'nope']);
  if (r.int(10) === 0) headers['x-request-id'] = r.pick(['abc', '../../', 'x'.repeat(500)]);
  const payload = method === 'GET' || method === 'HEAD' ? undefined : randomBody(r);
  return { method, url, headers, payload, tokenKind, contentType };
}
