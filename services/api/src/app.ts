import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppDeps, AppOptions } from './app-deps.ts';
import { createAdminSessions } from './auth/admin-session.ts';
import { createTokenVerifier } from './auth/token-verifier.ts';
import { registerApiDocs } from './plugins/api-docs.ts';
import { authenticationPlugin } from './plugins/authentication.ts';
import { bullBoardPlugin } from './plugins/bull-board.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { securityHeadersPlugin } from './plugins/security-headers.ts';
import { clientErrorProblem, frameworkErrors, installProblemErrors } from './plugins/problem-errors.ts';
import { installTextInputGuard } from './plugins/text-input-guard.ts';
import { ProblemError } from './problem.ts';
import { coalescingRedisStore } from './rate-limit/coalescing-redis-store.ts';
import { accountRoutes, steamOpenIdCallbackRoutes } from './routes/accounts/index.ts';
import { clientSyncRoutes } from './routes/client-sync/index.ts';
import { adminBackfillRoutes, adminDashboardRoutes, adminQualityRoutes } from './routes/admin/index.ts';
import { gameRoutes } from './routes/games/index.ts';
import { healthRoutes } from './routes/health/index.ts';
import { syncRoutes } from './routes/sync/index.ts';
import { authWebhookRoutes, userRoutes } from './routes/users/index.ts';

export type { AppDeps, AppOptions } from './app-deps.ts';

const INCOMING_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the API with explicit dependencies and nothing global: tests build as many as they like
 * and drive them with `app.inject`; server.ts builds one and listens. The caller owns `deps` and
 * closes them (closing the app does not close the pool or Redis).
 */
export async function createApp(deps: AppDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    requestIdHeader: false,
    // Honour a caller's / proxy's request id when it looks like one, so logs join up across hops.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && INCOMING_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler: clientErrorProblem,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemErrors(app);
  // Before any route registers: every route inherits it (NUL / lone surrogates → 400, not a Postgres 500).
  installTextInputGuard(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(securityHeadersPlugin);
  await app.register(metricsPlugin, { queues: deps.queues, queueCountsTtlMs: options.metricsQueueCountsTtlMs });
  if (options.docs !== false) await registerApiDocs(app, { publicBaseUrl: deps.config.publicBaseUrl });
  await app.register(authenticationPlugin, { verifyToken: createTokenVerifier(deps.config.jwt) });
  await app.register(rateLimit, {
    global: false,
    // After authentication (an onRequest hook), so the key is the verified user, not an IP.
    hook: 'preHandler',
    // Per user in Redis (it must hold across replicas), one pipeline per event-loop turn.
    store: coalescingRedisStore(deps.redis, `${deps.config.queuePrefix}:rate-limit:`),
    // Redis away: let the request through; the route itself then answers 503 if it needs Redis.
    skipOnError: true,
    keyGenerator: (request) => request.auth?.id ?? request.ip,
    errorResponseBuilder: (_request, context) =>
      new ProblemError(429, 'rate_limited', `Too many requests; retry in ${context.after}`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });

  const timeWindow = options.rateLimit?.timeWindowMs ?? 60_000;
  const publicUrl = new URL(deps.config.publicBaseUrl ?? 'http://127.0.0.1:3000');
  await app.register(healthRoutes, { deps });
  await app.register(syncRoutes, {
    deps,
    requestSync: { enqueueTimeoutMs: options.enqueueTimeoutMs ?? 1_500, rateLimit: { max: options.rateLimit?.syncMax ?? 30, timeWindow } },
    events: {
      heartbeatMs: options.sseHeartbeatMs ?? 15_000,
      maxStreamsPerUser: options.sseMaxStreamsPerUser ?? 5,
      maxStreamLifetimeMs: options.sseMaxStreamLifetimeMs ?? 15 * 60_000,
      rateLimit: { max: options.rateLimit?.streamMax ?? 30, timeWindow },
    },
  });
  await app.register(accountRoutes, { deps, rateLimit: { max: options.rateLimit?.linkMax ?? 10, timeWindow, groupId: 'account-linking' } });
  // No bearer token on the Steam sign-in callback (the browser comes back from Steam): its own plugin.
  if (deps.platforms.has('steam')) await app.register(steamOpenIdCallbackRoutes, { deps });
  await app.register(gameRoutes, { deps });
  await app.register(userRoutes, { deps });
  await app.register(clientSyncRoutes, {
    deps,
    rateLimit: { max: options.rateLimit?.clientSyncMax ?? 60, timeWindow },
    pushBodyLimit: options.clientSyncPushBodyLimit ?? 1024 * 1024,
  });
  if (deps.config.authWebhookSecret) await app.register(authWebhookRoutes, { deps, secret: deps.config.authWebhookSecret });
  if (deps.config.bullBoard) await app.register(bullBoardPlugin, { queues: deps.queues, redis: deps.redis, keyPrefix: deps.config.queuePrefix, ...deps.config.bullBoard });
  // Admin API (an admin's token); with the dashboard (mounted like Bull Board) its session cookie too.
  const adminSessions = deps.config.bullBoard
    ? createAdminSessions({ ...deps.config.bullBoard, secure: publicUrl.protocol === 'https:', path: `${publicUrl.pathname.replace(/\/+$/, '')}/admin` })
    : undefined;
  await app.register(adminQualityRoutes, { deps, sessions: adminSessions, runLockWaitMs: options.qualityRunLockWaitMs });
  await app.register(adminBackfillRoutes, { deps, sessions: adminSessions });
  if (deps.config.bullBoard && adminSessions) await app.register(adminDashboardRoutes, { deps, sessions: adminSessions, credentials: deps.config.bullBoard });

  return app;
}
