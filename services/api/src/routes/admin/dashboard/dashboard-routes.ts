import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../app-deps.ts';
import { csrfFailed, sameSiteRequest } from '../../../auth/admin-access.ts';
import type { AdminSessions } from '../../../auth/admin-session.ts';
import { createFailedAuthThrottle } from '../../../auth/failed-auth-throttle.ts';
import { credentialsMatch } from '../../../auth/operator-credentials.ts';
import { notFound } from '../../../problem.ts';
import { usePageHeaders } from '../../../plugins/security-headers.ts';
import { assetUrls, loadDashboardAssets } from './dashboard-assets.ts';
import { loadDashboardData } from './dashboard-data.ts';
import { dashboardPage, signInPage } from './dashboard-page.ts';

/**
 * The pages load only this API's own script and styles; the chart's data is a JSON block, the
 * buttons call the admin API (connect-src 'self'), forms post back here.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface AdminDashboardOptions {
  deps: AppDeps;
  sessions: AdminSessions;
  /** BULL_BOARD_USER / BULL_BOARD_PASSWORD. */
  credentials: { user: string; password: string };
}

const html = (reply: FastifyReply, status: number, page: string) => reply.code(status).type('text/html; charset=utf-8').send(page);

/**
 * `/admin/dashboard`: the data-quality page, server-rendered. Browsers carry no bearer token, so an
 * operator signs in with the Bull Board credentials (`/admin/dashboard/sign-in`, failed attempts
 * throttled per address together with Bull Board's) and gets a short-lived signed session cookie
 * (see auth/admin-session.ts); the page's buttons call the admin API with it and the page's CSRF
 * token. Mounted only when BULL_BOARD_USER / BULL_BOARD_PASSWORD are set.
 */
export const adminDashboardRoutes: FastifyPluginAsync<AdminDashboardOptions> = async (app, { deps, sessions, credentials }) => {
  usePageHeaders(app);
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('cache-control', 'no-store');
  });
  // The sign-in and sign-out forms; small on purpose.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4_096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const assets = loadDashboardAssets();
  // Guessing these credentials here or at Bull Board draws on one budget per address.
  const throttle = createFailedAuthThrottle({ redis: deps.redis, keyPrefix: deps.config.queuePrefix, scope: 'bull-board', log: app.log });
  const signInAssets = { css: assetUrls(assets, '', ['dashboard.css']), js: [] };
  const dashboardAssets = {
    css: assetUrls(assets, 'dashboard/', ['uPlot.min.css', 'dashboard.css']),
    js: assetUrls(assets, 'dashboard/', ['uPlot.iife.min.js', 'dashboard.js']),
  };

  routes.get('/admin/dashboard', { schema: { hide: true } }, async (request, reply) => {
    const session = sessions.fromCookieHeader(request.headers.cookie);
    if (!session) return reply.code(303).header('location', 'dashboard/sign-in').send();
    const data = await loadDashboardData(deps.db);
    return html(reply, 200, dashboardPage({ data, csrfToken: session.csrfToken, user: session.user, assets: dashboardAssets, now: new Date() }));
  });

  routes.get('/admin/dashboard/sign-in', { schema: { hide: true } }, async (request, reply) => {
    if (sessions.fromCookieHeader(request.headers.cookie)) return reply.code(303).header('location', '../dashboard').send();
    return html(reply, 200, signInPage({ assets: signInAssets }));
  });

  routes.post('/admin/dashboard/sign-in', {
    schema: { hide: true, body: z.object({ user: z.string().max(256), password: z.string().max(1_024) }) },
  }, async (request, reply) => {
    // Another site's form cannot sign a browser in (login CSRF).
    if (!sameSiteRequest(request)) throw csrfFailed();
    const passed = credentialsMatch(request.body, credentials.user, credentials.password);
    const retryAfter = await throttle.lockedOutFor(request.ip, passed);
    if (retryAfter !== undefined) {
      reply.header('retry-after', String(retryAfter));
      return html(reply, 429, signInPage({ assets: signInAssets, error: `Too many failed sign-ins from this address; try again in ${retryAfter} s.` }));
    }
    if (!passed) return html(reply, 401, signInPage({ assets: signInAssets, error: 'Wrong user or password.' }));
    const { setCookie } = sessions.issue();
    request.log.info({ user: credentials.user }, 'dashboard sign-in');
    return reply.code(303).header('set-cookie', setCookie).header('location', '../dashboard').send();
  });

  routes.post('/admin/dashboard/sign-out', {
    schema: { hide: true, body: z.object({ csrf: z.string().max(256) }) },
  }, async (request, reply) => {
    const session = sessions.fromCookieHeader(request.headers.cookie);
    if (session && (!sameSiteRequest(request) || !sessions.csrfMatches(session, request.body.csrf))) throw csrfFailed();
    return reply.code(303).header('set-cookie', sessions.clearCookie()).header('location', 'sign-in').send();
  });

  routes.get('/admin/dashboard/assets/:name', {
    schema: { hide: true, params: z.object({ name: z.string().max(64) }) },
  }, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) throw notFound('Asset');
    return reply
      .type(asset.contentType)
      // Linked as `?v=<content hash>`: a new version is a new URL.
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('content-security-policy', "default-src 'none'")
      .send(asset.body);
  });
};
