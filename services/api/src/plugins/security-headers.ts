import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/** Which header set a route gets: the JSON API's, or that of an HTML page with its own CSP. */
export type SecurityHeadersProfile = 'api' | 'page';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Default 'api'. Bull Board and the docs UI are 'page'. */
    securityHeaders?: SecurityHeadersProfile;
  }
}

/**
 * A JSON API is not a document: what matters on its responses is that a browser never renders,
 * sniffs, frames or caches them (OWASP REST Security cheat sheet). The HTML-only headers helmet
 * adds by default (COOP, Origin-Agent-Cluster, DNS prefetch, IE download options, Flash policies,
 * X-XSS-Protection) do nothing for JSON and only add bytes to every response.
 */
const API_HEADERS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: { policy: 'no-referrer' },
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: { action: 'deny' },
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** Bull Board and swagger-ui pages: helmet's document defaults; their own CSP (inline scripts, swagger's static CSP). */
const PAGE_HEADERS: HelmetOptions = { contentSecurityPolicy: false };

/**
 * helmet decides the headers; with no nonces and no per-request directives they are the same on
 * every response, so they are computed once here. (@fastify/helmet rebuilds the helmet middleware
 * and sets each header through res.setHeader on every request.)
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}

/** Marks every route registered in this scope (and its children) as a page. */
export function usePageHeaders(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), securityHeaders: 'page' };
  });
}

export const securityHeadersPlugin = fp(
  async (app: FastifyInstance) => {
    const byProfile: Record<SecurityHeadersProfile, Record<string, string>> = {
      api: { ...helmetHeaders(API_HEADERS), 'cache-control': 'no-store' },
      page: helmetHeaders(PAGE_HEADERS),
    };
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(byProfile[request.routeOptions.config.securityHeaders ?? 'api']);
      done();
    });
  },
  { name: 'security-headers' },
);
