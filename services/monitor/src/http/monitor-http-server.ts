import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { secretsEqual } from '@ach/crypto';
import type { Logger } from '@ach/observability';

export interface MonitorHttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export interface MonitorHttpOptions {
  host: string;
  port: number;
  registry: Registry;
  /** When set, `/metrics` wants `Authorization: Bearer <token>` (same rule as the API's). */
  metricsToken?: string;
  /** Dependency pings for `/ready`; each resolves true when the dependency answered. */
  readiness: Record<string, () => Promise<boolean>>;
  log: Logger;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function problem(res: ServerResponse, status: number, code: string, title: string, detail: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: `https://achievement-sync.dev/problems/${code}`, title, status, detail, code }));
}

/**
 * The monitor's own small HTTP surface: `/health` (liveness, for a container healthcheck: answers
 * while the process serves), `/ready` (Postgres and Redis answer) and `/metrics` (Prometheus). Plain
 * node:http: three GET routes do not need a framework.
 */
export async function startMonitorHttpServer(options: MonitorHttpOptions): Promise<MonitorHttpServer> {
  const challenge = { 'www-authenticate': 'Bearer realm="metrics"' };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://monitor').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return problem(res, 405, 'method_not_allowed', 'Method not allowed', 'Only GET is served here', { allow: 'GET, HEAD' });
    }
    switch (path) {
      case '/health':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ status: 'ok' }));
      case '/ready': {
        const checks = Object.fromEntries(
          await Promise.all(Object.entries(options.readiness).map(async ([name, ping]) => [name, await ping().catch(() => false)] as const)),
        );
        const ready = Object.values(checks).every(Boolean);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks }));
      }
      case '/metrics': {
        if (options.metricsToken) {
          const header = req.headers.authorization;
          if (!header) return problem(res, 401, 'missing_token', 'Unauthorized', 'An Authorization: Bearer <METRICS_TOKEN> header is required', challenge);
          const presented = BEARER.exec(header)?.[1];
          if (!presented || !secretsEqual(presented, options.metricsToken)) {
            return problem(res, 401, 'invalid_token', 'Unauthorized', 'The metrics token is not valid', {
              'www-authenticate': 'Bearer realm="metrics", error="invalid_token"',
            });
          }
        }
        const body = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType });
        return void res.end(body);
      }
      default:
        return problem(res, 404, 'not_found', 'Not found', 'This server answers /health, /ready and /metrics');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log.error({ err: error, url: req.url }, 'monitor http request failed');
      if (!res.headersSent) problem(res, 500, 'internal_error', 'Internal error', 'The request could not be answered');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ host: options.host, port }, 'monitor http listening (/health, /ready, /metrics)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
