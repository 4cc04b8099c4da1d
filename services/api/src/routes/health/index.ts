import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps.ts';
import { metricsAccess } from '../../plugins/metrics.ts';
import { INVALID_REQUEST, problemResponses } from '../../api-docs/problem-responses.ts';
import { pingDatabase } from '@ach/db';
import { pingRedis } from '@ach/queue';
import { withinDeadline } from '@ach/runtime';

const READY_TIMEOUT_MS = 1_000;

const answersWithin = (check: Promise<unknown>, ms: number): Promise<boolean> =>
  withinDeadline(check, ms).then(
    () => true,
    () => false,
  );

const readySchema = z.object({ status: z.enum(['ready', 'unavailable']), postgres: z.boolean(), redis: z.boolean() });

/** Public operational routes: liveness, readiness (Postgres + Redis within 1 s), Prometheus metrics. */
export const healthRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get('/health', {
    schema: {
      operationId: 'getHealth',
      tags: ['ops'],
      summary: 'Liveness: the process is up',
      security: [],
      response: { 200: z.object({ status: z.literal('ok') }), ...problemResponses(INVALID_REQUEST) },
    },
  }, async () => ({ status: 'ok' as const }));

  app.get('/ready', {
    schema: {
      operationId: 'getReadiness',
      tags: ['ops'],
      summary: 'Readiness: Postgres and Redis answer within 1 s',
      security: [],
      response: { 200: readySchema, 503: readySchema, ...problemResponses(INVALID_REQUEST) },
    },
  }, async (_request, reply) => {
    const [postgres, redis] = await Promise.all([
      answersWithin(pingDatabase(deps.db), READY_TIMEOUT_MS),
      answersWithin(pingRedis(deps.redis, deps.config.queuePrefix), READY_TIMEOUT_MS),
    ]);
    const ready = postgres && redis;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', postgres, redis });
  });

  app.get('/metrics', {
    onRequest: metricsAccess(deps.config.metricsToken),
    schema: {
      operationId: 'getMetrics',
      tags: ['ops'],
      summary: 'Prometheus metrics (Authorization: Bearer <METRICS_TOKEN> when that is set)',
      // Public unless the server sets METRICS_TOKEN.
      security: [{}, { metricsToken: [] }],
      response: {
        200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } },
        ...problemResponses(INVALID_REQUEST, { 401: ['`missing_token`, `invalid_token`: METRICS_TOKEN is set and the request does not carry it'] }),
      },
    },
  }, async (_request, reply) => {
    const body = await app.metricsRegistry.metrics();
    return reply.type(app.metricsRegistry.contentType).send(body);
  });
};
