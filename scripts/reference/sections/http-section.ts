import { MONITOR_ROUTES, SSE_EVENT_DESCRIPTIONS, UNDOCUMENTED_API_ROUTES } from '../catalog/http-extras.ts';
import { code, table, type SectionResult } from '../markdown.ts';
import type { JsonSchema, OpenApiDocument, OpenApiOperation, RegisteredRoute } from '../scan/api-document.ts';
import { productSourceFiles, readRepoFile, tsFilesUnder } from '../scan/repo-files.ts';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** `[{ bearerAuth: [] }]` → `bearerAuth`; `{}` → none; alternatives joined with "or" (the schemes are described once, above the table). */
function authText(operation: OpenApiOperation): string {
  const alternatives = (operation.security ?? []).map((requirement) => {
    const names = Object.keys(requirement);
    return names.length === 0 ? 'none' : names.map(code).join(' and ');
  });
  return alternatives.length === 0 ? 'none' : alternatives.join(' or ');
}

/** The problem codes a route documents per status: `400 validation_failed, invalid_json; 401 …`. */
export function problemCodesOf(operation: OpenApiOperation): Map<string, string[]> {
  const byStatus = new Map<string, string[]>();
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    if (Number(status) < 400) continue;
    const codes: string[] = [];
    for (const line of (response.description ?? '').split('\n')) {
      // "- `code`, `other` (with `reason`: …): what it means" → the codes before the explanation.
      const head = line.replace(/\([^)]*\)/g, '').split(/:\s/)[0] ?? '';
      for (const match of head.matchAll(/`([a-z][a-z0-9_]*)`/g)) if (!codes.includes(match[1]!)) codes.push(match[1]!);
    }
    byStatus.set(status, codes);
  }
  return byStatus;
}

export interface ApiRoute {
  method: string;
  path: string;
  operation: OpenApiOperation;
}

export function apiRoutesOf(document: OpenApiDocument): ApiRoute[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    METHODS.filter((m) => operations[m]).map((method) => ({ method: method.toUpperCase(), path, operation: operations[method]! })),
  );
}

function typeText(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => code(JSON.stringify(v))).join(' | ');
  if (schema.anyOf) return schema.anyOf.map(typeText).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  return schema.format ? `${type} (${schema.format})` : type;
}

/** Event names the SSE route writes (`frame('<name>', …)`), read from its code. */
function sseEventNames(): string[] {
  const names: string[] = [];
  for (const file of tsFilesUnder(['services/api/src/routes/sync'])) {
    // frame('end', …) and frame(cond ? 'progress' : 'status', …)
    for (const match of readRepoFile(file).matchAll(/frame\((?:'([a-z_]+)'|[^,()]*\?\s*'([a-z_]+)'\s*:\s*'([a-z_]+)')/g)) {
      for (const name of match.slice(1)) if (name && !names.includes(name)) names.push(name);
    }
  }
  return names;
}

/** Paths the monitor's HTTP code answers (string literals that look like a path), for the check against MONITOR_ROUTES. */
function monitorPathLiterals(): string[] {
  const paths = new Set<string>();
  for (const file of productSourceFiles().filter((f) => f.startsWith('services/monitor/src/http/'))) {
    for (const match of readRepoFile(file).matchAll(/'(\/[a-z][a-z0-9/_:.-]*)'/g)) paths.add(match[1]!);
  }
  return [...paths].sort();
}

/** `/syncs/:syncId` → `/syncs/{syncId}`: Fastify's path as /openapi.json writes it. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** `registered`: every route the app answers; `document`: what /openapi.json says about them. */
export function httpSection(document: OpenApiDocument, registered: readonly RegisteredRoute[]): SectionResult {
  const problems: string[] = [];
  const routes = apiRoutesOf(document);
  for (const route of registered) {
    const documented = document.paths[openApiPath(route.path)];
    const covered = UNDOCUMENTED_API_ROUTES.some((extra) => route.path === extra.path || route.path.startsWith(`${extra.path}/`));
    if (!documented && !covered) problems.push(`the API answers ${route.methods.join(', ')} ${route.path}, which is neither in /openapi.json nor in UNDOCUMENTED_API_ROUTES (http-extras.ts)`);
  }
  for (const extra of UNDOCUMENTED_API_ROUTES) {
    if (!registered.some((r) => r.path === extra.path)) problems.push(`UNDOCUMENTED_API_ROUTES lists ${extra.path}, which the API no longer answers`);
  }
  const rows = routes.map(({ method, path, operation }) => {
    if (!operation.operationId) problems.push(`${method} ${path} has no operationId`);
    if (!operation.summary) problems.push(`${method} ${path} has no summary`);
    const errors = [...problemCodesOf(operation)].map(([status, codes]) => `${status}${codes.length ? ` ${codes.map(code).join(', ')}` : ''}`).join('; ');
    return [`${method} ${code(path)}`, code(operation.operationId ?? '—'), (operation.tags ?? []).join(', '), authText(operation), operation.summary ?? '**undescribed**', errors || '—'];
  });
  const schemeRows = Object.entries(document.components?.securitySchemes ?? {}).map(([name, scheme]) => [code(name), scheme.description ?? '—']);

  const sse = routes.find((r) => r.operation.operationId === 'streamSyncEvents');
  const payload = sse?.operation.responses?.['200']?.content;
  const payloadSchema = payload ? Object.values(payload)[0]?.schema : undefined;
  const payloadRows = Object.entries(payloadSchema?.properties ?? {}).map(([name, schema]) => [
    code(name),
    typeText(schema),
    payloadSchema?.required?.includes(name) ? 'yes' : 'no',
  ]);
  if (sse && payloadRows.length === 0) problems.push('the SSE route documents no payload schema for 200');
  const written = sseEventNames();
  // In the order a client meets them (the catalog's), then any the catalog does not know yet.
  const events = [...Object.keys(SSE_EVENT_DESCRIPTIONS).filter((n) => written.includes(n)), ...written.filter((n) => !SSE_EVENT_DESCRIPTIONS[n])];
  for (const name of events) if (!SSE_EVENT_DESCRIPTIONS[name]) problems.push(`SSE event ${name} has no description in scripts/reference/catalog/http-extras.ts`);
  for (const name of Object.keys(SSE_EVENT_DESCRIPTIONS)) if (!written.includes(name)) problems.push(`http-extras.ts describes SSE event ${name}, which the route no longer writes`);

  for (const path of monitorPathLiterals()) if (!MONITOR_ROUTES.some((r) => r.path === path)) problems.push(`the monitor answers ${path}, which MONITOR_ROUTES in http-extras.ts does not list`);
  for (const route of MONITOR_ROUTES) if (!monitorPathLiterals().includes(route.path)) problems.push(`MONITOR_ROUTES lists ${route.path}, which the monitor's HTTP code no longer names`);

  const body = [
    'Every route of the API, as `/openapi.json` describes it (built from the routes\' zod schemas; `operationId`s are the',
    'method names of generated clients and never change once published). Every error is `application/problem+json`',
    '(`type`, `title`, `status`, `detail`, `code`; see [Error codes](#error-codes)); "errors" lists the documented',
    'statuses and codes. Routes per platform (`PUT /accounts/<slug>`, the `{platform}` parameter) come from the platform',
    'registry. A route with a per-user rate limit documents 429 `rate_limited` (retry after `Retry-After`).',
    '',
    'Auth schemes (`security` of each operation; "none" is a public route):',
    '',
    table(['scheme', 'what the caller sends'], schemeRows),
    '',
    table(['route', 'operationId', 'tag', 'auth', 'what it does', 'errors'], rows),
    '',
    '### Outside /openapi.json',
    '',
    table(['route', 'auth', 'what it does'], UNDOCUMENTED_API_ROUTES.map((r) => [`${r.method} ${code(r.path)}`, r.auth, r.purpose])),
    '',
    '### Monitor',
    '',
    'The monitor\'s own server (`MONITOR_METRICS_HOST`:`MONITOR_METRICS_PORT`, default 127.0.0.1:9464); `GET` and `HEAD`',
    'only (else 405 `method_not_allowed`).',
    '',
    table(['route', 'auth', 'what it does'], MONITOR_ROUTES.map((r) => [`${r.method} ${code(r.path)}`, r.auth, r.purpose])),
    '',
    'The platform sandbox (dev and tests only) speaks PSN\'s, Xbox Live\'s and Steam\'s wire formats on their real paths,',
    'plus its own `/__sandbox/…` admin routes: see [services/platform-sandbox/README.md](../services/platform-sandbox/README.md).',
    '',
    '### Server-Sent Events',
    '',
    '`GET /sync/{platform}/events` (`text/event-stream`) follows the latest run of one platform. Events, in the order they',
    'can come (a `: heartbeat` comment line every 15 s keeps proxies from closing the stream):',
    '',
    table(['event', 'when'], events.map((name) => [code(name), SSE_EVENT_DESCRIPTIONS[name] ?? '**undescribed**'])),
    '',
    'Payload of `status` and `progress` (as documented; a `progress` event relays the workers\' pub/sub message, see',
    '[Queues and jobs](#queues-and-jobs), so it may carry more fields):',
    '',
    table(['field', 'type', 'always'], payloadRows),
  ].join('\n');
  return { section: { title: 'HTTP routes', body }, problems };
}
