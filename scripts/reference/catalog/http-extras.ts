/**
 * HTTP routes that are not in the API's /openapi.json: the document and its UI, browser pages, Bull
 * Board, and the monitor's own small server. An entry covers its path and everything under it; a
 * registered route that is neither documented nor covered here fails `npm run docs:reference`.
 * (The platform sandbox imitates PSN, Xbox Live and Steam; its routes are in
 * services/platform-sandbox/README.md.)
 */
export const UNDOCUMENTED_API_ROUTES: readonly { method: string; path: string; auth: string; purpose: string }[] = [
  { method: 'GET', path: '/openapi.json', auth: 'none', purpose: 'This API\'s OpenAPI 3.1 document (the routes above); `servers` is `PUBLIC_BASE_URL`. Client generators (openapi-typescript) read it.' },
  { method: 'GET', path: '/docs', auth: 'none', purpose: 'Swagger UI over /openapi.json.' },
  { method: 'GET', path: '/admin/queues', auth: 'basic (`BULL_BOARD_USER` / `BULL_BOARD_PASSWORD`)', purpose: 'Bull Board: the sync queues, their jobs (ids only: a job never holds a token), retries. Mounted only when both variables are set; 10 wrong logins from one address → 429 for 15 min.' },
  { method: 'GET', path: '/admin/dashboard', auth: 'session cookie (sign in at `/admin/dashboard/sign-in` with `BULL_BOARD_USER` / `BULL_BOARD_PASSWORD`)', purpose: 'The data-quality dashboard, server-rendered: latest quality run, history, alerts; its buttons call the `/admin/*` API with the session and its CSRF token. Mounted only when both variables are set; failed sign-ins share Bull Board\'s throttle.' },
];

/** services/monitor/src/http/monitor-http-server.ts, on `MONITOR_METRICS_HOST:MONITOR_METRICS_PORT`. */
export const MONITOR_ROUTES: readonly { method: string; path: string; auth: string; purpose: string }[] = [
  { method: 'GET', path: '/health', auth: 'none', purpose: 'Liveness (`{ "status": "ok" }` while the process serves): the container healthcheck.' },
  { method: 'GET', path: '/ready', auth: 'none', purpose: 'Readiness: 200 when Postgres and Redis answer, else 503, with each check.' },
  { method: 'GET', path: '/metrics', auth: '`METRICS_TOKEN` bearer when set', purpose: 'Prometheus metrics of the monitor (below).' },
];

/** The SSE events of `GET /sync/{platform}/events`; the names come from the route's code. */
export const SSE_EVENT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  status: 'The run as it is now: first thing on every stream, then on each change of status (queued → running → succeeded / failed / cancelled). Data: the payload below.',
  progress: 'Progress of the running run (0–100, at most ~2 per second), with its stats so far. Data: the payload below.',
  end: 'The followed run is over (after its last `status`); the stream closes. Do not reconnect. Data: `{ syncId }`.',
  reconnect: 'The stream reached `SSE_MAX_STREAM_LIFETIME_MS` or the server is shutting down, the run may not be over: open the stream again after the `retry:` delay (1 s). Data: `{ reason: "max_lifetime" | "shutdown" }`.',
};
