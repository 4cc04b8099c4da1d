import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { AchievementsTable, Database, GamesTable, PlatformId, UserAchievementsTable, UserProgressTable } from '@ach/db';

/**
 * Every read of `games`, `achievements`, `user_progress` and `user_achievements`: what the sync
 * engine diffs against, what the API serves, and the parity check.
 */

/** What a sync diffs a listing against: platformGameId → the change marker stored with the user's progress. */
export async function storedChangeMarkers(db: Kysely<Database>, key: { userId: string; platformId: PlatformId }): Promise<Map<string, string | null>> {
  const rows = await db
    .selectFrom('user_progress')
    .select(['platform_game_id', sql<string | null>`platform_specific_data ->> 'changeMarker'`.as('marker')])
    .where('user_id', '=', key.userId)
    .where('platform_id', '=', key.platformId)
    .execute();
  return new Map(rows.map((r) => [r.platform_game_id, r.marker]));
}

/** What the database already knows about a title's definitions. */
export interface StoredGameMetadata {
  achievementsTotal: number;
  achievementIds: Set<string>;
}

/** Stored definitions of these titles fetched after `fetchedAfter` (stale or never-fetched titles are absent). */
export async function loadFreshGameMetadata(
  db: Kysely<Database>,
  input: { platformId: PlatformId; gameIds: string[]; fetchedAfter: Date },
): Promise<Map<string, StoredGameMetadata>> {
  const fresh = new Map<string, StoredGameMetadata>();
  if (input.gameIds.length === 0) return fresh;
  const rows = await sql<Pick<Selectable<GamesTable>, 'platform_game_id' | 'achievements_total'> & { ids: string[] | null }>`
    select g.platform_game_id, g.achievements_total,
           (select array_agg(a.platform_achievement_id) from achievements a
             where a.platform_id = g.platform_id and a.platform_game_id = g.platform_game_id) as ids
      from games g
     where g.platform_id = ${input.platformId} and g.platform_game_id = any(${input.gameIds}::text[])
       and g.metadata_fetched_at > ${input.fetchedAfter}
  `.execute(db);
  for (const row of rows.rows) {
    fresh.set(row.platform_game_id, { achievementsTotal: row.achievements_total, achievementIds: new Set(row.ids ?? []) });
  }
  return fresh;
}

/** One of a user's games with its progress. */
export type GameWithProgress = Pick<
  Selectable<UserProgressTable>,
  'platform_id' | 'platform_game_id' | 'achievements_total' | 'achievements_earned' | 'points_earned' | 'points_total' | 'completion_percentage' | 'playtime_minutes' | 'last_played_at'
> &
  Pick<Selectable<GamesTable>, 'name' | 'icon_url'>;

/**
 * Where a page of games ends: the last row's sort key. `lastPlayedAt` is `last_played_at` as
 * Postgres prints it (`timestamptz::text`): microseconds survive, a JS Date would drop them. The
 * caller must have checked it is such a text — it is compared as `::timestamptz`.
 */
export type GamesPageKey = readonly [lastPlayedAt: string | null, platformId: PlatformId, platformGameId: string];

export interface GamesPage {
  rows: GameWithProgress[];
  /** The key to pass as `after` for the next page; null on the last page. */
  next: GamesPageKey | null;
}

/**
 * A user's games, most recently played first, keyset-paged. The order — last_played_at desc nulls
 * last, platform_id, platform_game_id — is total, so pages never skip or repeat a game.
 */
export async function gamesWithProgressPage(
  db: Kysely<Database>,
  input: { userId: string; platformId?: PlatformId; after?: GamesPageKey; limit: number },
): Promise<GamesPage> {
  const { platformId, after } = input;
  const rows = await db
    .selectFrom('user_progress as up')
    .innerJoin('games as g', (join) => join.onRef('g.platform_id', '=', 'up.platform_id').onRef('g.platform_game_id', '=', 'up.platform_game_id'))
    .select([
      'up.platform_id', 'up.platform_game_id', 'g.name', 'g.icon_url', 'up.achievements_total', 'up.achievements_earned',
      'up.points_earned', 'up.points_total', 'up.completion_percentage', 'up.playtime_minutes', 'up.last_played_at',
    ])
    .select(sql<string | null>`up.last_played_at::text`.as('last_played_text'))
    .where('up.user_id', '=', input.userId)
    .$if(platformId !== undefined, (query) => query.where('up.platform_id', '=', platformId!))
    .$if(after !== undefined, (query) => query.where((eb) => afterKey(eb, after!)))
    .orderBy('up.last_played_at', (order) => order.desc().nullsLast())
    .orderBy('up.platform_id')
    .orderBy('up.platform_game_id')
    .limit(input.limit + 1)
    .execute();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    rows: page.map(({ last_played_text: _, ...row }) => row),
    next: rows.length > input.limit && last ? [last.last_played_text, last.platform_id, last.platform_game_id] : null,
  };
}

/** Rows strictly after `key` in the page order. */
function afterKey(eb: ExpressionBuilder<Database & { up: UserProgressTable }, 'up'>, [lastPlayedAt, platformId, platformGameId]: GamesPageKey) {
  const laterTie = eb(eb.refTuple('up.platform_id', 'up.platform_game_id'), '>', eb.tuple(platformId, platformGameId));
  if (lastPlayedAt === null) return eb.and([eb('up.last_played_at', 'is', null), laterTie]);
  const at = sql<Date>`${lastPlayedAt}::timestamptz`;
  return eb.or([eb('up.last_played_at', '<', at), eb('up.last_played_at', 'is', null), eb.and([eb('up.last_played_at', '=', at), laterTie])]);
}

/** Whether the user has this game (a user_progress row): the API's 404 for someone else's game. */
export async function userHasGame(db: Kysely<Database>, key: { userId: string; platformId: PlatformId; platformGameId: string }): Promise<boolean> {
  const row = await db
    .selectFrom('user_progress')
    .select((eb) => eb.lit(1).as('one'))
    .where('user_id', '=', key.userId)
    .where('platform_id', '=', key.platformId)
    .where('platform_game_id', '=', key.platformGameId)
    .executeTakeFirst();
  return row !== undefined;
}

/** One achievement of a game with the user's earned state. `description` is null for a hidden achievement not yet earned. */
export type AchievementWithEarnedState = Pick<
  Selectable<AchievementsTable>,
  'platform_achievement_id' | 'name' | 'description' | 'icon_url' | 'icon_locked_url' | 'hidden' | 'points' | 'type' | 'rarity_percentage'
> &
  Pick<Selectable<UserAchievementsTable>, 'earned_at'> & { earned: boolean };

/** A game's achievements with the user's earned state, numeric ids (PSN trophy ids) in numeric order. */
export async function gameAchievementsForUser(
  db: Kysely<Database>,
  key: { userId: string; platformId: PlatformId; platformGameId: string },
): Promise<AchievementWithEarnedState[]> {
  return db
    .selectFrom('achievements as a')
    .leftJoin('user_achievements as ua', (join) =>
      join
        .on('ua.user_id', '=', key.userId)
        .onRef('ua.platform_id', '=', 'a.platform_id')
        .onRef('ua.platform_game_id', '=', 'a.platform_game_id')
        .onRef('ua.platform_achievement_id', '=', 'a.platform_achievement_id'),
    )
    .select(['a.platform_achievement_id', 'a.name', 'a.icon_url', 'a.icon_locked_url', 'a.hidden', 'a.points', 'a.type', 'a.rarity_percentage', 'ua.earned_at'])
    .select((eb) => [
      // A hidden achievement keeps its secret until earned.
      sql<string | null>`case when a.hidden and ua.user_id is null then null else a.description end`.as('description'),
      eb('ua.user_id', 'is not', null).$castTo<boolean>().as('earned'),
    ])
    .where('a.platform_id', '=', key.platformId)
    .where('a.platform_game_id', '=', key.platformGameId)
    .orderBy(sql`case when a.platform_achievement_id ~ '^[0-9]{1,18}$' then lpad(a.platform_achievement_id, 18, '0') else a.platform_achievement_id end`)
    .execute();
}

/** A user_progress row whose achievements_earned differs from the count of the user's stored unlocks. */
export type ParityBreach = Pick<Selectable<UserProgressTable>, 'user_id' | 'platform_id' | 'platform_game_id' | 'achievements_earned'> & { stored: number };

/**
 * The parity check: `user_progress.achievements_earned` must equal the user's `user_achievements`
 * rows in that game. Every sync write keeps it (counted in the same transaction); any row here is a bug.
 */
export async function parityBreaches(db: Kysely<Database>): Promise<ParityBreach[]> {
  const result = await sql<ParityBreach>`
    select p.user_id, p.platform_id, p.platform_game_id, p.achievements_earned, count(ua.*)::int as stored
      from user_progress p
      left join user_achievements ua using (user_id, platform_id, platform_game_id)
     group by p.user_id, p.platform_id, p.platform_game_id, p.achievements_earned
    having p.achievements_earned <> count(ua.*)
  `.execute(db);
  return result.rows;
}
