import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createSyncRunRepository } from '@ach/sync-runs';
import type { AppDeps } from '../../app-deps.ts';
import { cursorField, decodeCursor, encodeCursor } from '../../pagination/cursor.ts';
import { platformParamsFor } from '../../platform-param.ts';
import { problemResponses, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { notFound } from '../../problem.ts';
import { findLatestRun } from '../../sync/sync-run-reads.ts';
import { syncRunSchema, toSyncRunView } from '../../sync/sync-run-view.ts';

/** (created_at as Postgres prints it — microseconds survive, a JS Date would drop them; id). */
const historyCursor = z.tuple([cursorField.timestamp(), cursorField.uuid()]);
const listResponse = z.object({ items: z.array(syncRunSchema), nextCursor: z.string().nullable() });

const listQueryFor = (deps: AppDeps) =>
  z.object({
    platform: deps.platforms.slugSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(512).optional(),
  });

/** Latest run per platform, own history, one run by id. Another user's run is a 404, never a 403. */
export function registerSyncHistoryRoutes(app: FastifyInstance, deps: AppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const runs = createSyncRunRepository({ db: deps.db });

  routes.get('/sync/:platform/status', {
    schema: {
      operationId: 'getSyncStatus',
      tags: ['sync'],
      summary: 'The latest run for one platform',
      security: [{ bearerAuth: [] }],
      params: platformParamsFor(deps.platforms),
      response: { 200: syncRunSchema, ...problemResponses(USER_ROUTE_PROBLEMS, { 404: ['`not_found`: no run of this platform yet'] }) },
    },
  }, async (request) => {
    const latest = await findLatestRun(deps, request.auth.id, request.params.platform);
    if (!latest) throw notFound(`A ${request.params.platform} sync run`);
    return latest;
  });

  routes.get('/syncs', {
    schema: {
      operationId: 'listSyncRuns',
      tags: ['sync'],
      summary: 'Own sync runs, newest first, cursor-paginated',
      security: [{ bearerAuth: [] }],
      querystring: listQueryFor(deps),
      response: { 200: listResponse, ...problemResponses(USER_ROUTE_PROBLEMS, { 400: ['`invalid_cursor`: `cursor` is not one this API issued'] }) },
    },
  }, async (request) => {
    const { platform, limit, cursor } = request.query;
    const after = cursor ? decodeCursor(historyCursor, cursor) : undefined;
    const page = await runs.history({ userId: request.auth.id, platformId: platform ? deps.platforms.bySlug(platform).id : undefined, after, limit });
    return { items: page.items.map((run) => toSyncRunView(run, deps.platforms)), nextCursor: page.next ? encodeCursor(page.next) : null };
  });

  routes.get('/syncs/:syncId', {
    schema: {
      operationId: 'getSyncRun',
      tags: ['sync'],
      summary: 'One of the caller\'s sync runs',
      security: [{ bearerAuth: [] }],
      // Any string: a non-uuid is simply a run that does not exist (404), like another user's.
      params: z.object({ syncId: z.string().max(100) }),
      response: { 200: syncRunSchema, ...problemResponses(USER_ROUTE_PROBLEMS, { 404: ['`not_found`: no such run of the caller\'s'] }) },
    },
  }, async (request) => {
    const id = z.uuid().safeParse(request.params.syncId);
    if (!id.success) throw notFound('Sync run');
    const run = await runs.byId(request.auth.id, id.data);
    if (!run) throw notFound('Sync run');
    return toSyncRunView(run, deps.platforms);
  });
}
