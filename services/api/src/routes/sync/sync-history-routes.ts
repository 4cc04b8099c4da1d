import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { PLATFORM_IDS, PLATFORMS } from '@ach/db';
import type { AppDeps } from '../../app-deps.ts';
import { cursorField, decodeCursor, encodeCursor } from '../../pagination/cursor.ts';
import { platformParams } from '../../platform-param.ts';
import { notFound, problemSchema } from '../../problem.ts';
import { findLatestRun, syncRunColumns } from '../../sync/sync-run-reads.ts';
import { syncRunSchema, toSyncRunView, type SyncRunRow } from '../../sync/sync-run-view.ts';

const listQuery = z.object({
  platform: z.enum(PLATFORMS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});
/** (created_at as Postgres prints it — microseconds survive, a JS Date would drop them; id). */
const historyCursor = z.tuple([cursorField.timestamp(), cursorField.uuid()]);
const listResponse = z.object({ items: z.array(syncRunSchema), nextCursor: z.string().nullable() });

/** Latest run per platform, own history, one run by id. Another user's run is a 404, never a 403. */
export function registerSyncHistoryRoutes(app: FastifyInstance, deps: AppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/sync/:platform/status', {
    schema: {
      tags: ['sync'],
      summary: 'The latest run for one platform',
      security: [{ bearerAuth: [] }],
      params: platformParams,
      response: { 200: syncRunSchema, 400: problemSchema, 401: problemSchema, 404: problemSchema },
    },
  }, async (request) => {
    const latest = await findLatestRun(deps.db, request.auth.id, request.params.platform);
    if (!latest) throw notFound(`A ${request.params.platform} sync run`);
    return latest;
  });

  routes.get('/syncs', {
    schema: {
      tags: ['sync'],
      summary: 'Own sync runs, newest first, cursor-paginated',
      security: [{ bearerAuth: [] }],
      querystring: listQuery,
      response: { 200: listResponse, 400: problemSchema, 401: problemSchema },
    },
  }, async (request) => {
    const { platform, limit, cursor } = request.query;
    const after = cursor ? decodeCursor(historyCursor, cursor) : undefined;
    const { rows } = await sql<SyncRunRow & { created_at_text: string }>`
      select ${syncRunColumns}, created_at::text as created_at_text from sync_logs
       where user_id = ${request.auth.id}::uuid
         ${platform ? sql`and platform_id = ${PLATFORM_IDS[platform]}::smallint` : sql``}
         ${after ? sql`and (created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
       order by created_at desc, id desc
       limit ${limit + 1}`.execute(deps.db);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toSyncRunView),
      nextCursor: rows.length > limit && last ? encodeCursor([last.created_at_text, last.id]) : null,
    };
  });

  routes.get('/syncs/:syncId', {
    schema: {
      tags: ['sync'],
      summary: 'One of the caller\'s sync runs',
      security: [{ bearerAuth: [] }],
      // Any string: a non-uuid is simply a run that does not exist (404), like another user's.
      params: z.object({ syncId: z.string().max(100) }),
      response: { 200: syncRunSchema, 401: problemSchema, 404: problemSchema },
    },
  }, async (request) => {
    const id = z.uuid().safeParse(request.params.syncId);
    if (!id.success) throw notFound('Sync run');
    const { rows } = await sql<SyncRunRow>`
      select ${syncRunColumns} from sync_logs where id = ${id.data}::uuid and user_id = ${request.auth.id}::uuid`.execute(deps.db);
    if (!rows[0]) throw notFound('Sync run');
    return toSyncRunView(rows[0]);
  });
}
