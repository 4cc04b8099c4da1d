import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SyncRequestResult } from '@ach/sync-runs';
import type { AppDeps } from '../../app-deps.ts';
import { platformParamsFor } from '../../platform-param.ts';
import { JSON_BODY_PROBLEMS, problemResponses, RATE_LIMITED, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { ProblemError } from '../../problem.ts';
import { createIdempotencyStore, requestFingerprint } from '../../sync/idempotency-store.ts';
import { queueUnavailable } from '../../sync/sync-accept-problem.ts';
import { createSyncRequestBatcher } from '../../sync/sync-request-batcher.ts';
import { syncRunSchema } from '../../sync/sync-run-view.ts';

const bodySchema = z.strictObject({ mode: z.enum(['incremental', 'full']).default('incremental') }).nullable().optional();
const headersSchema = z.looseObject({ 'idempotency-key': z.string().min(1).max(255).optional() });
const acceptedSchema = z.object({
  syncId: z.uuid(),
  status: syncRunSchema.shape.status,
  deduplicated: z.boolean(),
});

export interface RequestSyncRouteOptions {
  enqueueTimeoutMs: number;
  rateLimit: { max: number; timeWindow: number };
}

/** POST /sync/:platform — queue a run (or return the live one), answer 202 fast, never lose it. */
export function registerRequestSyncRoute(app: FastifyInstance, deps: AppDeps, options: RequestSyncRouteOptions): void {
  const idempotency = createIdempotencyStore(deps.redis, deps.config.queuePrefix);
  // Concurrent accepts share one INSERT and one addBulk per queue (see sync-request-batcher.ts).
  const batcher = createSyncRequestBatcher({ db: deps.db, platforms: deps.platforms, queues: deps.queues, log: deps.log, enqueueTimeoutMs: options.enqueueTimeoutMs });
  app.addHook('onClose', async () => {
    await batcher.close();
  });

  const keyReused = () => new ProblemError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request');

  app.withTypeProvider<ZodTypeProvider>().post('/sync/:platform', {
    config: { rateLimit: options.rateLimit },
    schema: {
      operationId: 'requestSync',
      tags: ['sync'],
      summary: 'Request a sync of one platform (deduplicated while one is queued or running)',
      security: [{ bearerAuth: [] }],
      params: platformParamsFor(deps.platforms),
      headers: headersSchema,
      body: bodySchema,
      response: {
        202: acceptedSchema,
        ...problemResponses(USER_ROUTE_PROBLEMS, JSON_BODY_PROBLEMS, RATE_LIMITED, {
          409: [
            '`account_not_linked`: no account of this platform is linked',
            '`ownership_claimed`: another user has proven they own the linked account',
          ],
          422: ['`idempotency_key_reused`: this Idempotency-Key was already used for a different request'],
          503: [
            '`queue_unavailable`: the sync queue is unreachable; retry after `Retry-After`',
            '`sync_contended`: runs are starting and finishing too fast to settle; retry after `Retry-After`',
          ],
        }),
      },
    },
  }, async (request, reply) => {
    const { platform } = request.params;
    const mode = request.body?.mode ?? 'incremental';
    const key = request.headers['idempotency-key'];
    const userId = request.auth.id;

    // Without a key: accept. With one: replay the first answer for the same request, refuse another.
    const fingerprint = key ? requestFingerprint('POST', `/sync/${platform}`, { mode }) : undefined;
    if (key) {
      const stored = await idempotency.get(userId, key).catch((error: unknown) => {
        throw queueUnavailable(error);
      });
      if (stored) {
        if (stored.fingerprint !== fingerprint) throw keyReused();
        return reply.code(202).header('idempotent-replayed', 'true').send(stored.body as SyncRequestResult);
      }
    }

    const result = await batcher.request({ userId, platform, mode });
    if (key && fingerprint) {
      const first = await idempotency.putFirst(userId, key, { fingerprint, status: 202, body: result }).catch((error: unknown) => {
        request.log.warn({ err: error }, 'idempotency key not stored');
        return undefined;
      });
      if (first && first.fingerprint !== fingerprint) throw keyReused();
      if (first) return reply.code(202).send(first.body as SyncRequestResult);
    }
    return reply.code(202).send(result);
  });
}
