import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createPlatformQueues, latestStatus, runQualityCheck, statusHistory } from '@ach/monitor';
import type { AppDeps } from '../../app-deps.ts';
import { ADMIN_ROUTE_PROBLEMS, problemResponses } from '../../api-docs/problem-responses.ts';
import { requireAdmin } from '../../auth/admin-access.ts';
import type { AdminSessions } from '../../auth/admin-session.ts';
import { ProblemError } from '../../problem.ts';
import { historyEntrySchema, qualityRunSchema, qualityStatusSchema, toHistoryEntryView, toQualityRunView, toQualityStatusView } from './quality-view.ts';

/** Monitoring-log rows are kept 90 days (cleanup_old_monitoring_logs): nothing older to ask for. */
export const MAX_QUALITY_HISTORY_DAYS = 90;

/** An admin's token, or the dashboard's session cookie. */
export const ADMIN_SECURITY: Record<string, string[]>[] = [{ adminBearer: [] }, { adminSession: [] }];

export interface AdminQualityRoutesOptions {
  deps: AppDeps;
  /** The dashboard's sessions, when it is mounted: the routes then accept its cookie too. */
  sessions?: AdminSessions;
  /** How long `POST /admin/quality/run` waits for a run in progress elsewhere before answering 409 (default 5 s). */
  runLockWaitMs?: number;
}

/**
 * `GET /admin/quality`, `POST /admin/quality/run`, `GET /admin/quality/history`: the monitor's latest
 * result, a full check now (the monitor's own `runQualityCheck`: same advisory lock, same record, same
 * repairs), and the run history.
 */
export const adminQualityRoutes: FastifyPluginAsync<AdminQualityRoutesOptions> = async (app, { deps, sessions, runLockWaitMs = 5_000 }) => {
  requireAdmin(app, sessions);
  const routes = app.withTypeProvider<ZodTypeProvider>();
  // The sync queues the stuck-sync sweep re-enqueues into: every row of `platforms`, as the monitor sees them.
  const queues = createPlatformQueues({ db: deps.db, connection: deps.redis, prefix: deps.config.queuePrefix });
  app.addHook('onClose', async () => queues.close());

  routes.get('/admin/quality', {
    schema: {
      operationId: 'getQualityStatus',
      tags: ['admin'],
      summary: 'The latest quality-check run: overall status, user counts and every check',
      security: ADMIN_SECURITY,
      response: {
        200: qualityStatusSchema,
        ...problemResponses(ADMIN_ROUTE_PROBLEMS, { 404: ['`not_found`: no quality check has been recorded yet'] }),
      },
    },
  }, async () => {
    const latest = await latestStatus(deps.db);
    if (!latest) throw new ProblemError(404, 'not_found', 'No quality check has been recorded yet; POST /admin/quality/run runs one');
    return toQualityStatusView(latest);
  });

  routes.post('/admin/quality/run', {
    schema: {
      operationId: 'runQualityCheck',
      tags: ['admin'],
      summary: 'Run the full quality check now (one run at a time across the monitor and every API replica); recorded like a scheduled run, announced by the monitor\'s next run',
      security: ADMIN_SECURITY,
      response: {
        200: qualityRunSchema,
        ...problemResponses(ADMIN_ROUTE_PROBLEMS, {
          409: ['`quality_check_running`: another run (scheduled or requested) held the lock for longer than this request waits; retry after `Retry-After`'],
          503: ['`quality_check_unavailable`: this server cannot run checks (no database URL for the run lock)'],
        }),
      },
    },
  }, async (request) => {
    const quality = deps.config.quality;
    if (!quality) throw new ProblemError(503, 'quality_check_unavailable', 'This server is not set up to run quality checks');
    const outcome = await runQualityCheck(
      {
        db: deps.db, databaseUrl: quality.databaseUrl, log: deps.log, queues, settings: quality.settings,
        events: { redis: deps.redis, prefix: deps.config.queuePrefix },
      },
      { mode: 'full', lockWaitMs: runLockWaitMs, performedBy: request.adminActor },
    );
    if (!outcome.ran) {
      throw new ProblemError(409, 'quality_check_running', 'A quality check is already running; retry when it has finished', { headers: { 'retry-after': '10' } });
    }
    request.log.info({ actor: request.adminActor, monitoringLogId: outcome.run.id, status: outcome.run.status }, 'quality check run on request');
    return toQualityRunView(outcome.run);
  });

  routes.get('/admin/quality/history', {
    schema: {
      operationId: 'getQualityHistory',
      tags: ['admin'],
      summary: 'Every quality run of the last `days` days, oldest first',
      security: ADMIN_SECURITY,
      querystring: z.object({
        days: z.coerce
          .number()
          .int()
          .min(1)
          .max(MAX_QUALITY_HISTORY_DAYS)
          .default(30)
          .describe(`1–${MAX_QUALITY_HISTORY_DAYS} (runs are kept ${MAX_QUALITY_HISTORY_DAYS} days)`),
      }),
      response: {
        200: z.object({ days: z.number().int(), items: z.array(historyEntrySchema) }),
        ...problemResponses(ADMIN_ROUTE_PROBLEMS),
      },
    },
  }, async (request) => {
    const { days } = request.query;
    return { days, items: (await statusHistory(deps.db, days)).map(toHistoryEntryView) };
  });
};
