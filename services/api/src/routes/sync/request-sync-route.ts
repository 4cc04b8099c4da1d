import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps.ts';
import { platformParams } from '../../platform-param.ts';
import { ProblemError, problemSchema } from '../../problem.ts';
import { createIdempotencyStore, requestFingerprint } from '../../sync/idempotency-store.ts';
import { queueUnavailable, type SyncRequestResult } from '../../sync/request-sync.ts';
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
  const batcher = createSyncRequestBatcher({ db: deps.db, queues: deps.queues, log: deps.log, enqueueTimeoutMs: options.enqueueTimeoutMs });
  app.addHook('onClose', async () => {
    await batcher.close();
  });

  const keyReused = () => new ProblemError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request');

  app.withTypeProvider<ZodTypeProvider>().post('/sync/:platform', {
    config: { rateLimit: options.rateLimit },
    schema: {
      tags: ['sync'],
      summary: 'Request a sync of one platform (deduplicated while one is queued or running)',
      security: [{ bearerAuth: [] }],
      params: platformParams,
      headers: headersSchema,
      body: bodySchema,
      response: { 202: acceptedSchema, 400: problemSchema, 401: problemSchema, 409: problemSchema, 422: problemSchema, 429: problemSchema, 503: problemSchema },
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
