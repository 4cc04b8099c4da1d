import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { backfillGhostUsers } from '@ach/monitor';
import type { AppDeps } from '../../app-deps.ts';
import { ADMIN_ROUTE_PROBLEMS, JSON_BODY_PROBLEMS, problemResponses } from '../../api-docs/problem-responses.ts';
import { requireAdmin } from '../../auth/admin-access.ts';
import type { AdminSessions } from '../../auth/admin-session.ts';
import { ProblemError } from '../../problem.ts';
import { ADMIN_SECURITY } from './quality-routes.ts';
import { backfillSchema, toBackfillView } from './quality-view.ts';

/** `true` / `false` only: `z.coerce.boolean()` would read "false" as true, and a real run must never happen by accident. */
const booleanText = z.enum(['true', 'false']).transform((value) => value === 'true');

/**
 * `POST /admin/backfill`: `backfill_ghost_users()` — a dry run lists the ghost users and writes
 * nothing; a real run creates their profiles, audited in `cleanup_audit_log` under the caller's name,
 * and is idempotent. Dry run unless asked otherwise: `?dryRun=false` (the contract's spelling) or a
 * JSON body `{ "dryRun": false }` (the issue's); both given must agree.
 */
export const adminBackfillRoutes: FastifyPluginAsync<{ deps: AppDeps; sessions?: AdminSessions }> = async (app, { deps, sessions }) => {
  requireAdmin(app, sessions);

  app.withTypeProvider<ZodTypeProvider>().post('/admin/backfill', {
    schema: {
      operationId: 'backfillGhostUsers',
      tags: ['admin'],
      summary: 'Ghost-user backfill: a dry run (the default) lists, a real run creates the missing profiles and audits it',
      security: ADMIN_SECURITY,
      querystring: z.object({
        dryRun: booleanText.optional().describe('`true` (default) lists only; `false` repairs'),
      }),
      body: z
        .object({ dryRun: z.boolean().optional().describe('The same as the query parameter; when both are given they must agree') })
        .strict()
        .nullable()
        .optional(),
      response: {
        200: backfillSchema,
        ...problemResponses(ADMIN_ROUTE_PROBLEMS, JSON_BODY_PROBLEMS, { 400: ['`dry_run_conflict`: the query parameter and the body disagree on `dryRun`'] }),
      },
    },
  }, async (request) => {
    const fromQuery = request.query.dryRun;
    const fromBody = request.body?.dryRun;
    if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
      throw new ProblemError(400, 'dry_run_conflict', 'dryRun in the query and in the body disagree');
    }
    const dryRun = fromQuery ?? fromBody ?? true;
    const result = await backfillGhostUsers(deps.db, { dryRun, performedBy: request.adminActor });
    if (!dryRun) request.log.warn({ actor: request.adminActor, users: result.users.length }, 'ghost-user backfill run on request');
    return toBackfillView(result);
  });
};
