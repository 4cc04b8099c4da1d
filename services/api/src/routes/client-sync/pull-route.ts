import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { PULLED_TABLES, pullChanges, pullResponseBytes, SyncResetRequiredError, type PulledTable } from '@ach/client-sync';
import type { AppDeps } from '../../app-deps.ts';
import { JSON_BODY_PROBLEMS, problemResponses, RATE_LIMITED, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import type { ClientSyncMetrics } from './client-sync-metrics.ts';
import { CLIENT_SYNC_RESET, clientSyncProblem } from './client-sync-problems.ts';
import { pullBodySchema, pullResponseSchema } from './client-sync-schemas.ts';

const isPulledTable = (name: string): name is PulledTable => (PULLED_TABLES as readonly string[]).includes(name);

/** POST /sync-pull: WatermelonDB's pullChanges, one statement, one answer. */
export function registerPullRoute(
  app: FastifyInstance,
  deps: AppDeps,
  options: { rateLimit: { max: number; timeWindow: number; groupId: string }; metrics: ClientSyncMetrics },
): void {
  const { metrics } = options;
  app.withTypeProvider<ZodTypeProvider>().post('/sync-pull', {
    config: { rateLimit: options.rateLimit },
    schema: {
      operationId: 'pullChanges',
      tags: ['client-sync'],
      summary: 'WatermelonDB pull: everything the caller may see that changed since `lastPulledAt`, deletions included',
      description: 'Send the returned `timestamp` back as the next `lastPulledAt`. Every live record is in `updated` (sync with `sendCreatedAsUpdated: true`). See docs/client-sync.md.',
      security: [{ bearerAuth: [] }],
      body: pullBodySchema,
      response: {
        200: pullResponseSchema,
        ...problemResponses(USER_ROUTE_PROBLEMS, JSON_BODY_PROBLEMS, RATE_LIMITED, { 409: [CLIENT_SYNC_RESET] }),
      },
    },
  }, async (request, reply) => {
    const started = performance.now();
    const { lastPulledAt, migration } = request.body;
    const watermark = lastPulledAt ?? 0;
    // A schema migration on the device: the tables it added (or added columns to) come in full.
    const fullTables = new Set<PulledTable>(
      [...(migration?.tables ?? []), ...(migration?.columns ?? []).map((c) => c.table)].filter(isPulledTable),
    );
    const result = await pullChanges(deps.db, { userId: request.auth.id, watermark, fullTables });
    const seconds = (performance.now() - started) / 1000;
    if (result.kind === 'reset_required') {
      metrics.observe('pull', 'reset_required', seconds);
      request.log.info({ clientSync: { operation: 'pull', outcome: 'reset_required', reason: result.reason, lastPulledAt: watermark } }, 'client sync pull refused');
      throw clientSyncProblem(new SyncResetRequiredError(result.reason));
    }
    const records: Record<string, { updated: number; deleted: number }> = {};
    for (const table of PULLED_TABLES) {
      const { updatedCount, deletedCount } = result.tables[table];
      metrics.records('pull', table, 'updated', updatedCount);
      metrics.records('pull', table, 'deleted', deletedCount);
      if (updatedCount + deletedCount > 0) records[table] = { updated: updatedCount, deleted: deletedCount };
    }
    metrics.observe('pull', 'ok', seconds);
    request.log.info({
      clientSync: { operation: 'pull', outcome: 'ok', durationMs: Math.round(seconds * 1000), lastPulledAt: watermark, timestamp: result.timestamp, full: watermark === 0, fullTables: [...fullTables], records },
    }, 'client sync pull');
    // Already JSON, already bytes: a Buffer is sent as it is (no parse, no re-serialize, no re-encode).
    return reply.type('application/json; charset=utf-8').send(pullResponseBytes(result.timestamp, result.tables) as never);
  });
}
