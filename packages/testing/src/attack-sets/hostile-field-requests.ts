import { FORGED_CURSORS, OVERLONG, overlongJson } from './random-requests.ts';

/**
 * The API fuzz's spec-driven set: every path, query, header and body field of every route the OpenAPI
 * document lists, one at a time, with NUL, overlong UTF-8, lone surrogates and 30 KB — the rest of the
 * request valid, so that field is what gets judged. The spec drives it: a new route is fuzzed without
 * anyone remembering to add it. Shared by the API's fuzz test and the reliability security sweep.
 */

export interface OpenApi {
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
  { label: '30 KB multibyte', url: encodeURIComponent('\u00e9'.repeat(15_000)), json: '\u{1F4A5}'.repeat(7_500) },
  { label: '30 KB then NUL', url: `${'x'.repeat(30_000)}%00`, header: `${'x'.repeat(30_000)}\u0000`, json: `${'x'.repeat(30_000)}\u0000` },
];
const forgedCursorValue = (cursor: string, i: number): HostileValue => ({ label: `forged cursor #${i}`, url: cursor, header: cursor, json: cursor });

/** Valid values for everything but the field under test, so that field is what gets judged. */
const PATH_DEFAULTS: Record<string, string> = { platform: 'steam', syncId: '00000000-0000-4000-8000-000000000000', platformGameId: '440' };
const BODY_DEFAULTS: Record<string, Record<string, unknown>> = {
  'POST /webhooks/auth-users': { type: 'INSERT', table: 'users', schema: 'auth', record: { id: '00000000-0000-4000-8000-000000000000' } },
};

export interface HostileFieldContext {
  /** A user's valid token, and one of a user with no sync runs (progress streams of theirs end at once). */
  tokens: { valid: string; other: string };
  /** The API's AUTH_WEBHOOK_SECRET, so the webhook's fields get judged, not its secret. */
  webhookSecret: string;
}

export interface HostileFieldRequest {
  /** `METHOD /path where.field = value` */
  label: string;
  request: { method: string; url: string; headers: Record<string, string>; payload?: string | Buffer };
}

/** Every documented operation × field × hostile value (forged cursors too, where a cursor goes). */
export function hostileFieldRequests(spec: OpenApi, context: HostileFieldContext): HostileFieldRequest[] {
  const operations = documentedOperations(spec);
  // The spec drives this: an empty or broken document must not pass as "nothing to fuzz".
  if (operations.length <= 10) throw new Error(`the OpenAPI document lists only ${operations.length} operations`);
  return operations.flatMap((op) => {
    const targets: Target[] = [...op.params, ...op.bodyFields.map((path): Target => ({ in: 'body', name: path.join('.'), path }))];
    return targets.flatMap((target) => {
      const values = target.in === 'query' && target.name === 'cursor' ? [...HOSTILE_VALUES, ...FORGED_CURSORS.map(forgedCursorValue)] : HOSTILE_VALUES;
      return values.flatMap((value) => {
        const request = buildRequest(op, target, value, context);
        return request ? [{ label: `${op.method} ${op.path} ${target.in}.${target.name} = ${value.label}`, request }] : [];
      });
    });
  });
}

function buildRequest(op: Operation, target: Target, value: HostileValue, context: HostileFieldContext): HostileFieldRequest['request'] | undefined {
  if (target.in === 'header' && value.header === undefined) return undefined;
  let url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => (target.in === 'path' && target.name === name ? value.url : (PATH_DEFAULTS[name] ?? 'x')));
  if (target.in === 'query') url += `?${target.name}=${value.url}`;
  const headers: Record<string, string> = {
    // A stream of a user with no runs ends at once; the valid user may have a queued run after this test's POSTs.
    authorization: `Bearer ${op.path.endsWith('/events') ? context.tokens.other : context.tokens.valid}`,
    'x-webhook-secret': context.webhookSecret,
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
