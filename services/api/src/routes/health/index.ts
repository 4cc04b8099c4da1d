import { sql } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps.ts';
import { metricsAccess } from '../../plugins/metrics.ts';
import { problemSchema } from '../../problem.ts';
import { withinDeadline } from '../../within-deadline.ts';

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
    schema: { tags: ['ops'], summary: 'Liveness: the process is up', response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/ready', {
    schema: { tags: ['ops'], summary: 'Readiness: Postgres and Redis answer within 1 s', response: { 200: readySchema, 503: readySchema } },
  }, async (_request, reply) => {
    const [postgres, redis] = await Promise.all([
      answersWithin(sql`select 1`.execute(deps.db), READY_TIMEOUT_MS),
      answersWithin(deps.redis.ping(), READY_TIMEOUT_MS),
    ]);
    const ready = postgres && redis;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', postgres, redis });
  });

  app.get('/metrics', {
    onRequest: metricsAccess(deps.config.metricsToken),
    schema: {
      tags: ['ops'],
      summary: 'Prometheus metrics (Authorization: Bearer <METRICS_TOKEN> when that is set)',
      response: { 200: z.string(), 401: problemSchema },
    },
  }, async (_request, reply) => {
    const body = await app.metricsRegistry.metrics();
    return reply.type(app.metricsRegistry.contentType).send(body);
  });
};
