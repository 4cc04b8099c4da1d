import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { PLATFORM_BY_ID, PLATFORM_IDS, PLATFORMS, type PlatformId } from '@ach/db';
import type { AppDeps } from '../../app-deps.ts';
import { cursorField, decodeCursor, encodeCursor } from '../../pagination/cursor.ts';
import { notFound, problemSchema } from '../../problem.ts';

const gamesQuery = z.object({
  platform: z.enum(PLATFORMS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1024).optional(),
});
/** Sort key of the last row: (last_played_at as Postgres prints it, or null; platform id; game id). */
const gamesCursor = z.tuple([cursorField.timestamp().nullable(), cursorField.platformId(), cursorField.text(256)]);

const gameSchema = z.object({
  platform: z.enum(PLATFORMS),
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

interface GameRow {
  platform_id: PlatformId;
  platform_game_id: string;
  name: string;
  icon_url: string | null;
  achievements_total: number;
  achievements_earned: number;
  points_earned: number | null;
  points_total: number | null;
  completion_percentage: number;
  playtime_minutes: number | null;
  last_played_at: Date | null;
  last_played_text: string | null;
}

interface AchievementRow {
  platform_achievement_id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  icon_locked_url: string | null;
  hidden: boolean;
  points: number | null;
  type: string | null;
  rarity_percentage: number | null;
  earned: boolean;
  earned_at: Date | null;
}

/** The caller's games with progress, and one game's achievements with earned state and rarity. */
export const gameRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('onRequest', app.authenticateUser);
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/me/games', {
    schema: {
      tags: ['games'],
      summary: 'Own games with progress, most recently played first (keyset cursor)',
      security: [{ bearerAuth: [] }],
      querystring: gamesQuery,
      response: { 200: z.object({ items: z.array(gameSchema), nextCursor: z.string().nullable() }), 400: problemSchema, 401: problemSchema },
    },
  }, async (request) => {
    const { platform, limit, cursor } = request.query;
    const after = cursor ? decodeCursor(gamesCursor, cursor) : undefined;
    // Order: last_played_at desc nulls last, platform_id, platform_game_id — total, so pages never skip or repeat.
    const afterClause = !after
      ? sql``
      : after[0] === null
        ? sql`and up.last_played_at is null and (up.platform_id, up.platform_game_id) > (${after[1]}::smallint, ${after[2]})`
        : sql`and (up.last_played_at < ${after[0]}::timestamptz
                   or up.last_played_at is null
                   or (up.last_played_at = ${after[0]}::timestamptz and (up.platform_id, up.platform_game_id) > (${after[1]}::smallint, ${after[2]})))`;
    const { rows } = await sql<GameRow>`
      select up.platform_id, up.platform_game_id, g.name, g.icon_url, up.achievements_total, up.achievements_earned,
             up.points_earned, up.points_total, up.completion_percentage, up.playtime_minutes, up.last_played_at,
             up.last_played_at::text as last_played_text
        from user_progress up
        join games g on g.platform_id = up.platform_id and g.platform_game_id = up.platform_game_id
       where up.user_id = ${request.auth.id}::uuid
         ${platform ? sql`and up.platform_id = ${PLATFORM_IDS[platform]}::smallint` : sql``}
         ${afterClause}
       order by up.last_played_at desc nulls last, up.platform_id, up.platform_game_id
       limit ${limit + 1}`.execute(deps.db);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
        platform: PLATFORM_BY_ID[row.platform_id],
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
      nextCursor: rows.length > limit && last ? encodeCursor([last.last_played_text, last.platform_id, last.platform_game_id]) : null,
    };
  });

  routes.get('/me/games/:platform/:platformGameId/achievements', {
    schema: {
      tags: ['games'],
      summary: 'Achievements of one of the caller\'s games, with earned state and rarity',
      security: [{ bearerAuth: [] }],
      params: z.object({ platform: z.enum(PLATFORMS), platformGameId: z.string().min(1).max(256) }),
      response: { 200: z.object({ items: z.array(achievementSchema) }), 400: problemSchema, 401: problemSchema, 404: problemSchema },
    },
  }, async (request) => {
    const userId = request.auth.id;
    const platformId = PLATFORM_IDS[request.params.platform];
    const gameId = request.params.platformGameId;
    const owned = await sql<{ one: number }>`
      select 1 as one from user_progress
       where user_id = ${userId}::uuid and platform_id = ${platformId}::smallint and platform_game_id = ${gameId}`.execute(deps.db);
    if (owned.rows.length === 0) throw notFound('Game');
    const { rows } = await sql<AchievementRow>`
      select a.platform_achievement_id, a.name, a.icon_url, a.icon_locked_url, a.hidden, a.points, a.type, a.rarity_percentage,
             -- A hidden achievement keeps its secret until earned.
             case when a.hidden and ua.user_id is null then null else a.description end as description,
             ua.user_id is not null as earned, ua.earned_at
        from achievements a
        left join user_achievements ua
          on ua.user_id = ${userId}::uuid and ua.platform_id = a.platform_id
         and ua.platform_game_id = a.platform_game_id and ua.platform_achievement_id = a.platform_achievement_id
       where a.platform_id = ${platformId}::smallint and a.platform_game_id = ${gameId}
       order by case when a.platform_achievement_id ~ '^[0-9]{1,18}$' then lpad(a.platform_achievement_id, 18, '0') else a.platform_achievement_id end`.execute(deps.db);
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
