import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../problem.ts';
import type { AdminSession, AdminSessions } from './admin-session.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is acting on an admin route, for audit trails: `admin:<email or id>` or `dashboard:<user>`. */
    adminActor: string;
    /** The dashboard session the request came with (undefined for a bearer token). */
    adminSession: AdminSession | undefined;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const csrfFailed = () => new ProblemError(403, 'csrf_failed', 'This request needs the session\'s CSRF token and must come from the dashboard');

/** A browser tells where a request comes from; anything but this site is refused whatever the token. */
export function sameSiteRequest(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/**
 * Admin routes: an admin's bearer token (role `service_role` or `app_metadata.role` `admin`), or —
 * when the dashboard is mounted (`sessions`) and no Authorization header is sent — the dashboard's
 * session cookie. A cookie rides along on any request the browser makes, so a state-changing request
 * on it also needs the session's CSRF token in `x-csrf-token` (SameSite=Strict already keeps it off
 * cross-site requests; the token covers browsers and proxies that do not). Call in the route group's
 * own (encapsulated) plugin.
 */
export function requireAdmin(app: FastifyInstance, sessions: AdminSessions | undefined): void {
  app.decorateRequest('adminActor', '');
  app.decorateRequest('adminSession', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.headers.authorization !== undefined || !sessions) {
      await app.authenticateAdmin(request);
      request.adminActor = `admin:${request.auth.email ?? request.auth.id}`;
      return;
    }
    const session = sessions.fromCookieHeader(request.headers.cookie);
    if (!session) {
      throw new ProblemError(401, 'missing_token', 'An admin\'s Authorization: Bearer <access token>, or a dashboard session, is required', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    if (!SAFE_METHODS.has(request.method) && (!sameSiteRequest(request) || !sessions.csrfMatches(session, request.headers['x-csrf-token']))) {
      throw csrfFailed();
    }
    request.adminSession = session;
    request.adminActor = `dashboard:${session.user}`;
  });
}
