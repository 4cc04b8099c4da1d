import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { gameAchievementsForUser, gamesWithProgressPage, userHasGame } from '@ach/library';
import type { AppDeps } from '../../app-deps.ts';
import { cursorField, decodeCursor, encodeCursor } from '../../pagination/cursor.ts';
import { problemResponses, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { platformSlugField } from '../../platform-param.ts';
import { notFound } from '../../problem.ts';

const gameSchema = z.object({
  platform: platformSlugField(),
  platformGameId: z.string(),
  name: z.string(),
  iconUrl: z.string().nullable(),
  achievementsTotal: z.number().int(),
  achievementsEarned: z.number().int(),
  pointsEarned: z.number().int().nullable(),
  pointsTotal: z.number().int().nullable(),
  completionPercentage: z.number(),
  playtimeMinutes: z.number().int().nullable(),
  lastPlayedAt: z.iso.datetime({ offset: true }).nullable(),
});

const achievementSchema = z.object({
  platformAchievementId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  iconUrl: z.string().nullable(),
  iconLockedUrl: z.string().nullable(),
  hidden: z.boolean(),
  points: z.number().int().nullable(),
  type: z.string().nullable(),
  rarityPercentage: z.number().nullable(),
  earned: z.boolean(),
  earnedAt: z.iso.datetime({ offset: true }).nullable(),
});

/** The caller's games with progress, and one game's achievements with earned state and rarity. */
export const gameRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('onRequest', app.authenticateUser);
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { platforms } = deps;
  const gamesQuery = z.object({
    platform: platforms.slugSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(1024).optional(),
  });
  /** Sort key of the last row: (last_played_at as Postgres prints it, or null; platform id; game id). */
  const gamesCursor = z.tuple([cursorField.timestamp().nullable(), cursorField.platformId(platforms), cursorField.text(256)]);

  routes.get('/me/games', {
    schema: {
      operationId: 'listGames',
      tags: ['games'],
      summary: 'Own games with progress, most recently played first (keyset cursor)',
      security: [{ bearerAuth: [] }],
      querystring: gamesQuery,
      response: {
        200: z.object({ items: z.array(gameSchema), nextCursor: z.string().nullable() }),
        ...problemResponses(USER_ROUTE_PROBLEMS, { 400: ['`invalid_cursor`: `cursor` is not one this API issued'] }),
      },
    },
  }, async (request) => {
    const { platform, limit, cursor } = request.query;
    const after = cursor ? decodeCursor(gamesCursor, cursor) : undefined;
    const page = await gamesWithProgressPage(deps.db, { userId: request.auth.id, platformId: platform ? platforms.bySlug(platform).id : undefined, after, limit });
    return {
      // A row of a platform this server does not run (a retired one) is not shown.
      items: page.rows.filter((row) => platforms.ids.includes(row.platform_id)).map((row) => ({
        platform: platforms.byId(row.platform_id).slug,
        platformGameId: row.platform_game_id,
        name: row.name,
        iconUrl: row.icon_url,
        achievementsTotal: row.achievements_total,
        achievementsEarned: row.achievements_earned,
        pointsEarned: row.points_earned,
        pointsTotal: row.points_total,
        completionPercentage: Number(row.completion_percentage),
        playtimeMinutes: row.playtime_minutes,
        lastPlayedAt: row.last_played_at?.toISOString() ?? null,
      })),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    };
  });

  routes.get('/me/games/:platform/:platformGameId/achievements', {
    schema: {
      operationId: 'listGameAchievements',
      tags: ['games'],
      summary: 'Achievements of one of the caller\'s games, with earned state and rarity',
      security: [{ bearerAuth: [] }],
      params: z.object({ platform: platforms.slugSchema, platformGameId: z.string().min(1).max(256) }),
      response: {
        200: z.object({ items: z.array(achievementSchema) }),
        ...problemResponses(USER_ROUTE_PROBLEMS, { 404: ['`not_found`: the caller has no such game'] }),
      },
    },
  }, async (request) => {
    const userId = request.auth.id;
    const platformId = platforms.bySlug(request.params.platform).id;
    const gameId = request.params.platformGameId;
    const game = { userId, platformId, platformGameId: gameId };
    if (!(await userHasGame(deps.db, game))) throw notFound('Game');
    const rows = await gameAchievementsForUser(deps.db, game);
    return {
      items: rows.map((row) => ({
        platformAchievementId: row.platform_achievement_id,
        name: row.name,
        description: row.description,
        iconUrl: row.icon_url,
        iconLockedUrl: row.icon_locked_url,
        hidden: row.hidden,
        points: row.points,
        type: row.type,
        rarityPercentage: row.rarity_percentage === null ? null : Number(row.rarity_percentage),
        earned: row.earned,
        earnedAt: row.earned_at?.toISOString() ?? null,
      })),
    };
  });
};
