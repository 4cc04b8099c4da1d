import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { applyPush, isWritableTable, PULLED_TABLES, PushConflictError, type PushInput } from '@ach/client-sync';
import type { AppDeps } from '../../app-deps.ts';
import { JSON_BODY_PROBLEMS, problemResponses, RATE_LIMITED, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import type { ClientSyncMetrics } from './client-sync-metrics.ts';
import { CLIENT_SYNC_RESET, clientSyncProblem, readOnlyTable } from './client-sync-problems.ts';
import { pushBodySchemaFor, pushResponseSchema, type PushBody } from './client-sync-schemas.ts';

type Changes = PushBody['changes'];

/** The first table the push may not change, as the 403 names it; undefined when every change is allowed. */
function refusedChange(changes: Changes, userId: string): string | undefined {
  for (const [table, change] of Object.entries(changes)) {
    if (!change) continue;
    const touched = change.created.length + change.updated.length + change.deleted.length > 0;
    if (!touched) continue;
    if (!isWritableTable(table)) {
      return (PULLED_TABLES as readonly string[]).includes(table)
        ? `${table} is read-only: the server syncs it from the platforms`
        : `${table.slice(0, 64)} is not a table this server syncs`;
    }
  }
  const profile = changes.user_profile;
  if (profile && (profile.created.length > 0 || profile.deleted.length > 0)) return 'user_profile accepts updates of your own profile only';
  if (profile?.updated.some((record) => record.id !== userId)) return 'user_profile accepts updates of your own profile only';
  return undefined;
}

function pushInput(userId: string, body: PushBody): PushInput {
  const { changes } = body;
  const help = changes.trophy_help_requests;
  const flex = changes.flex_room_data;
  const profile = changes.user_profile?.updated[0];
  const helpRow = (r: NonNullable<typeof help>['created'][number]) => ({
    id: r.id, version: r.sync_version, platformId: r.platform_id, platformGameId: r.platform_game_id,
    platformAchievementId: r.platform_achievement_id, message: r.message, status: r.status,
  });
  return {
    userId,
    lastPulledAt: body.lastPulledAt,
    trophyHelpRequests: help && { created: help.created.map(helpRow), updated: help.updated.map(helpRow), deleted: help.deleted },
    flexRoomData: flex && {
      created: flex.created.map((r) => ({ id: r.id, version: r.sync_version, showcase: r.showcase })),
      updated: flex.updated.map((r) => ({ id: r.id, version: r.sync_version, showcase: r.showcase })),
      deleted: flex.deleted,
    },
    profile: profile && { version: profile.sync_version, username: profile.username, displayName: profile.display_name, avatarUrl: profile.avatar_url },
  };
}

/** POST /sync-push: WatermelonDB's pushChanges, applied in one transaction or not at all. */
export function registerPushRoute(
  app: FastifyInstance,
  deps: AppDeps,
  options: { rateLimit: { max: number; timeWindow: number; groupId: string }; metrics: ClientSyncMetrics; bodyLimit: number },
): void {
  const { metrics } = options;
  app.withTypeProvider<ZodTypeProvider>().post('/sync-push', {
    config: { rateLimit: options.rateLimit },
    bodyLimit: options.bodyLimit,
    schema: {
      operationId: 'pushChanges',
      tags: ['client-sync'],
      summary: 'WatermelonDB push: the app\'s own records (`trophy_help_requests`, `flex_room_data`) and profile fields, in one transaction',
      description: 'Platform data is read-only (403 naming the table). A record changed on the server after `lastPulledAt` fails the whole push (409 `conflict`, nothing applied): pull, then push again. See docs/client-sync.md.',
      security: [{ bearerAuth: [] }],
      body: pushBodySchemaFor(deps.platforms),
      response: {
        200: pushResponseSchema,
        ...problemResponses(USER_ROUTE_PROBLEMS, JSON_BODY_PROBLEMS, RATE_LIMITED, {
          403: ['`read_only_table`: the push changes a table (or a profile) the app may not write; `detail` names it'],
          409: [
            '`conflict`: a record was changed or deleted on the server after `lastPulledAt` (`conflicts` lists them); nothing was applied',
            CLIENT_SYNC_RESET,
            '`username_taken`: another user has this username',
          ],
          413: [`\`payload_too_large\`: the body is over ${Math.round(options.bodyLimit / 1024)} KiB`],
        }),
      },
    },
  }, async (request) => {
    const started = performance.now();
    const userId = request.auth.id;
    const observe = (outcome: 'ok' | 'conflict' | 'reset_required' | 'refused' | 'error') => {
      const seconds = (performance.now() - started) / 1000;
      metrics.observe('push', outcome, seconds);
      return Math.round(seconds * 1000);
    };
    const refused = refusedChange(request.body.changes, userId);
    if (refused) {
      const durationMs = observe('refused');
      request.log.info({ clientSync: { operation: 'push', outcome: 'refused', durationMs, detail: refused } }, 'client sync push refused');
      throw readOnlyTable(refused);
    }
    try {
      const stats = await applyPush(deps.db, pushInput(userId, request.body));
      const durationMs = observe('ok');
      const records: Record<string, { created: number; updated: number; deleted: number }> = {};
      for (const [table, change] of Object.entries(request.body.changes)) {
        if (!change || !isWritableTable(table)) continue;
        const counts = { created: change.created.length, updated: change.updated.length, deleted: change.deleted.length };
        if (counts.created + counts.updated + counts.deleted === 0) continue;
        records[table] = counts;
        metrics.records('push', table, 'created', counts.created);
        metrics.records('push', table, 'updated', counts.updated);
        metrics.records('push', table, 'deleted', counts.deleted);
      }
      request.log.info({ clientSync: { operation: 'push', outcome: 'ok', durationMs, lastPulledAt: request.body.lastPulledAt, records, applied: stats } }, 'client sync push');
      return { success: true as const, stats: { created: stats.created, updated: stats.updated, deleted: stats.deleted } };
    } catch (error) {
      const problem = clientSyncProblem(error);
      if (!problem) {
        observe('error');
        throw error;
      }
      const outcome = problem.code === 'sync_reset_required' ? 'reset_required' : 'conflict';
      const durationMs = observe(outcome);
      if (error instanceof PushConflictError) metrics.conflicts(error.records.length);
      request.log.info({ clientSync: { operation: 'push', outcome, code: problem.code, durationMs, conflicts: error instanceof PushConflictError ? error.records.length : 0 } }, 'client sync push refused');
      throw problem;
    }
  });
}
