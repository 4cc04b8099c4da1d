import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, PlatformId } from '@ach/db';
import { dedupeBy } from '../write/dedupe.ts';
import type { GameWrite, WriteGameBatchInput } from '../write/game-write.ts';
import { emptyWriteCounts, type TableCounts, type WriteCounts } from '../write/write-counts.ts';
import { pgArrayLiteral } from './pg-array-literal.ts';

/**
 * Every write of a sync to `games`, `achievements`, `user_progress` and `user_achievements`. Deletes
 * leave tombstones in `deleted_records` through the tables' statement triggers (migration 0004), so
 * the app's pulls see them; nothing here writes tombstones itself.
 */

type Db = Kysely<Database> | Transaction<Database>;

/** numeric(5,2) in 0–100: a platform's own completion figure, clamped and rounded like the column. */
const percentage = (value: number | null | undefined) =>
  value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(Math.min(100, Math.max(0, value)) * 100) / 100;
const json = (value: Record<string, unknown> | undefined) => JSON.stringify(value ?? {});
/** numeric(6,3): rounding here keeps the `IS DISTINCT FROM` guard honest for float percentages. */
const rarity = (value: number | null) => (value === null || !Number.isFinite(value) ? null : Math.round(Math.min(100, Math.max(0, value)) * 1000) / 1000);

/**
 * Writes a batch of titles in ONE transaction with one multi-row `unnest` statement per table, so a
 * batch lands completely or not at all, and a rerun of the same batch changes nothing. Unchanged
 * rows are skipped by `IS DISTINCT FROM` guards (their xmin stays). `user_progress.achievements_earned`
 * is counted from the rows stored, after they are written, inside the same transaction.
 */
export async function writeGameBatch(db: Kysely<Database>, input: WriteGameBatchInput): Promise<WriteCounts> {
  const games = dedupeBy(input.games, (g) => g.title.platformGameId);
  const counts = emptyWriteCounts();
  if (games.length === 0) return counts;
  // Built once: both the upsert and, in full mode, the delete of unreported unlocks need them.
  const unlocks = unlockRows(games);
  await db.transaction().execute(async (trx) => {
    counts.games = await upsertGames(trx, input.platformId, games);
    counts.achievements = await upsertAchievements(trx, input.platformId, games);
    counts.achievements.updated += await updateCachedRarity(trx, input.platformId, games);
    const upserted = await upsertUserAchievements(trx, input, unlocks);
    counts.user_achievements = upserted.counts;
    counts.unlocksSkipped = upserted.skipped;
    if (input.removeUnreported) counts.user_achievements.deleted = await deleteUnreportedUnlocks(trx, input, games, unlocks);
    counts.user_progress = await upsertUserProgress(trx, input, games);
  });
  return counts;
}

interface UpsertCountRow {
  inserted: number;
  updated: number;
}
const toCounts = (row: UpsertCountRow | undefined): TableCounts => ({ inserted: row?.inserted ?? 0, updated: row?.updated ?? 0, deleted: 0 });

async function upsertGames(trx: Db, platformId: PlatformId, games: GameWrite[]): Promise<TableCounts> {
  // A title whose metadata came from the cache leaves achievements_total and metadata_fetched_at alone.
  const result = await sql<UpsertCountRow>`
    with up as (
      insert into games as g (platform_id, platform_game_id, name, icon_url, achievements_total, platform_specific_data, metadata_fetched_at)
      select ${platformId}::smallint, r.platform_game_id, r.name, r.icon_url, coalesce(r.achievements_total, 0), r.platform_specific_data, r.metadata_fetched_at
        from unnest(${pgArrayLiteral(games.map((g) => g.title.platformGameId))}::text[], ${pgArrayLiteral(games.map((g) => g.title.name))}::text[],
                    ${pgArrayLiteral(games.map((g) => g.title.iconUrl))}::text[], ${pgArrayLiteral(games.map((g) => g.metadata?.achievements.length ?? null))}::int[],
                    ${pgArrayLiteral(games.map((g) => json({ ...g.title.gameData, ...g.metadata?.gameData })))}::jsonb[], ${pgArrayLiteral(games.map((g) => g.metadata?.fetchedAt ?? null))}::timestamptz[])
          as r(platform_game_id, name, icon_url, achievements_total, platform_specific_data, metadata_fetched_at)
      -- Fresh definitions replace the game's data; otherwise the title's facts are laid over what the
      -- last definitions left there (e.g. PSN's group names), which stays.
      on conflict (platform_id, platform_game_id) do update set
        name = excluded.name,
        icon_url = excluded.icon_url,
        platform_specific_data = case when excluded.metadata_fetched_at is null then g.platform_specific_data || excluded.platform_specific_data
                                      else excluded.platform_specific_data end,
        achievements_total = case when excluded.metadata_fetched_at is null then g.achievements_total else excluded.achievements_total end,
        metadata_fetched_at = coalesce(excluded.metadata_fetched_at, g.metadata_fetched_at)
      where (g.name, g.icon_url, g.platform_specific_data, g.achievements_total, g.metadata_fetched_at) is distinct from
            (excluded.name, excluded.icon_url,
             case when excluded.metadata_fetched_at is null then g.platform_specific_data || excluded.platform_specific_data
                  else excluded.platform_specific_data end,
             case when excluded.metadata_fetched_at is null then g.achievements_total else excluded.achievements_total end,
             coalesce(excluded.metadata_fetched_at, g.metadata_fetched_at))
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up
  `.execute(trx);
  return toCounts(result.rows[0]);
}

async function upsertAchievements(trx: Db, platformId: PlatformId, games: GameWrite[]): Promise<TableCounts> {
  const rows = dedupeBy(
    games.flatMap((g) => (g.metadata ? g.metadata.achievements.map((a) => ({ gameId: g.title.platformGameId, a })) : [])),
    (r) => `${r.gameId}\u0000${r.a.platformAchievementId}`,
  );
  if (rows.length === 0) return toCounts(undefined);
  const result = await sql<UpsertCountRow>`
    with up as (
      insert into achievements as a (platform_id, platform_game_id, platform_achievement_id, name, description, icon_url,
                                     icon_locked_url, hidden, points, type, rarity_percentage, platform_specific_data)
      select ${platformId}::smallint, r.*
        from unnest(${pgArrayLiteral(rows.map((r) => r.gameId))}::text[], ${pgArrayLiteral(rows.map((r) => r.a.platformAchievementId))}::text[],
                    ${pgArrayLiteral(rows.map((r) => r.a.name))}::text[], ${pgArrayLiteral(rows.map((r) => r.a.description))}::text[],
                    ${pgArrayLiteral(rows.map((r) => r.a.iconUrl))}::text[], ${pgArrayLiteral(rows.map((r) => r.a.iconLockedUrl))}::text[],
                    ${pgArrayLiteral(rows.map((r) => r.a.hidden))}::boolean[], ${pgArrayLiteral(rows.map((r) => r.a.points))}::int[],
                    ${pgArrayLiteral(rows.map((r) => r.a.type))}::text[], ${pgArrayLiteral(rows.map((r) => rarity(r.a.rarityPercentage)))}::numeric[],
                    ${pgArrayLiteral(rows.map((r) => json(r.a.platformData)))}::jsonb[])
          as r(platform_game_id, platform_achievement_id, name, description, icon_url, icon_locked_url, hidden, points, type,
               rarity_percentage, platform_specific_data)
      on conflict (platform_id, platform_game_id, platform_achievement_id) do update set
        name = excluded.name, description = excluded.description, icon_url = excluded.icon_url,
        icon_locked_url = excluded.icon_locked_url, hidden = excluded.hidden, points = excluded.points, type = excluded.type,
        rarity_percentage = excluded.rarity_percentage, platform_specific_data = excluded.platform_specific_data
      where (a.name, a.description, a.icon_url, a.icon_locked_url, a.hidden, a.points, a.type, a.rarity_percentage, a.platform_specific_data)
            is distinct from
            (excluded.name, excluded.description, excluded.icon_url, excluded.icon_locked_url, excluded.hidden, excluded.points,
             excluded.type, excluded.rarity_percentage, excluded.platform_specific_data)
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up
  `.execute(trx);
  return toCounts(result.rows[0]);
}

/**
 * Rarity reported with the user's unlocks for titles whose definitions came from the cache: only the
 * rows whose figure moved are touched. Titles with fresh definitions carry it in those already.
 */
async function updateCachedRarity(trx: Db, platformId: PlatformId, games: GameWrite[]): Promise<number> {
  const rows = dedupeBy(
    games.flatMap((g) => (g.metadata ? [] : (g.rarity ?? []).map((r) => ({ gameId: g.title.platformGameId, id: r.platformAchievementId, rarity: rarity(r.rarityPercentage) })))),
    (r) => `${r.gameId}\u0000${r.id}`,
  );
  if (rows.length === 0) return 0;
  const result = await sql`
    update achievements a set rarity_percentage = r.rarity_percentage
      from unnest(${pgArrayLiteral(rows.map((r) => r.gameId))}::text[], ${pgArrayLiteral(rows.map((r) => r.id))}::text[],
                  ${pgArrayLiteral(rows.map((r) => r.rarity))}::numeric[]) as r(platform_game_id, platform_achievement_id, rarity_percentage)
     where a.platform_id = ${platformId} and a.platform_game_id = r.platform_game_id and a.platform_achievement_id = r.platform_achievement_id
       and a.rarity_percentage is distinct from r.rarity_percentage
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

type UnlockRow = { gameId: string; id: string; earnedAt: Date | null };

function unlockRows(games: GameWrite[]): UnlockRow[] {
  return dedupeBy(
    games.flatMap((g) => g.unlocks.map((u) => ({ gameId: g.title.platformGameId, id: u.platformAchievementId, earnedAt: u.earnedAt }))),
    (r) => `${r.gameId}\u0000${r.id}`,
  );
}

async function upsertUserAchievements(trx: Db, input: WriteGameBatchInput, rows: UnlockRow[]): Promise<{ counts: TableCounts; skipped: number }> {
  if (rows.length === 0) return { counts: toCounts(undefined), skipped: 0 };
  const result = await sql<UpsertCountRow & { skipped: number }>`
    with r as (
      select * from unnest(${pgArrayLiteral(rows.map((r) => r.gameId))}::text[], ${pgArrayLiteral(rows.map((r) => r.id))}::text[], ${pgArrayLiteral(rows.map((r) => r.earnedAt))}::timestamptz[])
        as r(platform_game_id, platform_achievement_id, earned_at)
    ),
    known as (
      select r.* from r
       where exists (select 1 from achievements a
                      where a.platform_id = ${input.platformId} and a.platform_game_id = r.platform_game_id
                        and a.platform_achievement_id = r.platform_achievement_id)
    ),
    up as (
      insert into user_achievements as ua (user_id, platform_id, platform_game_id, platform_achievement_id, earned_at)
      select ${input.userId}::uuid, ${input.platformId}::smallint, k.platform_game_id, k.platform_achievement_id, k.earned_at from known k
      on conflict (user_id, platform_id, platform_game_id, platform_achievement_id) do update set earned_at = excluded.earned_at
      where ua.earned_at is distinct from excluded.earned_at
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated,
           ((select count(*) from r) - (select count(*) from known))::int as skipped
      from up
  `.execute(trx);
  const row = result.rows[0];
  return { counts: toCounts(row), skipped: row?.skipped ?? 0 };
}

async function deleteUnreportedUnlocks(trx: Db, input: WriteGameBatchInput, games: GameWrite[], rows: UnlockRow[]): Promise<number> {
  const result = await sql`
    delete from user_achievements ua
     where ua.user_id = ${input.userId} and ua.platform_id = ${input.platformId}
       and ua.platform_game_id = any(${pgArrayLiteral(games.map((g) => g.title.platformGameId))}::text[])
       and not exists (
         select 1 from unnest(${pgArrayLiteral(rows.map((r) => r.gameId))}::text[], ${pgArrayLiteral(rows.map((r) => r.id))}::text[]) as r(platform_game_id, platform_achievement_id)
          where r.platform_game_id = ua.platform_game_id and r.platform_achievement_id = ua.platform_achievement_id)
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

async function upsertUserProgress(trx: Db, input: WriteGameBatchInput, games: GameWrite[]): Promise<TableCounts> {
  // Earned counts and points come from the rows just written (same transaction), never from the
  // platform's own summary, so achievements_earned always equals count(user_achievements).
  const result = await sql<UpsertCountRow>`
    with r as (
      select * from unnest(${pgArrayLiteral(games.map((g) => g.title.platformGameId))}::text[], ${pgArrayLiteral(games.map((g) => g.title.playtimeMinutes))}::int[],
                           ${pgArrayLiteral(games.map((g) => g.title.lastPlayedAt))}::timestamptz[],
                           ${pgArrayLiteral(games.map((g) => JSON.stringify({ ...g.title.progress?.data, changeMarker: g.title.changeMarker })))}::jsonb[],
                           ${pgArrayLiteral(games.map((g) => percentage(g.title.progress?.completionPercentage)))}::numeric[],
                           ${pgArrayLiteral(games.map((g) => g.title.progress?.pointsEarned ?? null))}::int[],
                           ${pgArrayLiteral(games.map((g) => g.title.progress?.pointsTotal ?? null))}::int[])
        as r(platform_game_id, playtime_minutes, last_played_at, platform_specific_data, platform_completion, platform_points_earned, platform_points_total)
    ),
    -- Per-title lookups by key prefix only: plans that stay index scans even before the planner has
    -- statistics (a fresh database's first big sync), unlike joins it would happily nest-loop.
    c as (
      select r.*, gm.achievements_total,
             (select count(*)::int from user_achievements ua
               where ua.user_id = ${input.userId} and ua.platform_id = ${input.platformId}
                 and ua.platform_game_id = r.platform_game_id) as earned,
             (select sum(a.points)::int from achievements a
               where a.platform_id = ${input.platformId} and a.platform_game_id = r.platform_game_id) as points_total
        from r
        join games gm on gm.platform_id = ${input.platformId} and gm.platform_game_id = r.platform_game_id
    ),
    -- Points only where the platform has them (Xbox); skipped for titles without (Steam).
    cp as (
      select c.*,
             case when c.points_total is null then null else
               (select sum(a.points)::int from user_achievements ua
                  join achievements a on a.platform_id = ua.platform_id and a.platform_game_id = ua.platform_game_id
                                     and a.platform_achievement_id = ua.platform_achievement_id
                 where ua.user_id = ${input.userId} and ua.platform_id = ${input.platformId}
                   and ua.platform_game_id = c.platform_game_id)
             end as points_earned
        from c
    ),
    up as (
      insert into user_progress as p (user_id, platform_id, platform_game_id, achievements_total, achievements_earned, points_earned,
                                      points_total, completion_percentage, playtime_minutes, last_played_at, platform_specific_data)
      select ${input.userId}::uuid, ${input.platformId}::smallint, c.platform_game_id, c.achievements_total, c.earned,
             coalesce(c.platform_points_earned, c.points_earned), coalesce(c.platform_points_total, c.points_total),
             -- The platform's own figure where it gives one; else earned ÷ total.
             -- least() ignores nulls: a title without achievements must read 0 %, not 100 %.
             coalesce(c.platform_completion, least(100, coalesce(round(100.0 * c.earned / nullif(c.achievements_total, 0), 2), 0))),
             c.playtime_minutes, c.last_played_at, c.platform_specific_data
        from cp c
      on conflict (user_id, platform_id, platform_game_id) do update set
        achievements_total = excluded.achievements_total, achievements_earned = excluded.achievements_earned,
        points_earned = excluded.points_earned, points_total = excluded.points_total,
        completion_percentage = excluded.completion_percentage, playtime_minutes = excluded.playtime_minutes,
        last_played_at = excluded.last_played_at, platform_specific_data = excluded.platform_specific_data
      where (p.achievements_total, p.achievements_earned, p.points_earned, p.points_total, p.completion_percentage,
             p.playtime_minutes, p.last_played_at, p.platform_specific_data)
            is distinct from
            (excluded.achievements_total, excluded.achievements_earned, excluded.points_earned, excluded.points_total,
             excluded.completion_percentage, excluded.playtime_minutes, excluded.last_played_at, excluded.platform_specific_data)
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up
  `.execute(trx);
  return toCounts(result.rows[0]);
}

/**
 * Full mode: the user no longer has these titles at all (refund, removed licence): their progress
 * and unlocks go too. One statement per table, counted.
 */
export async function removeVanishedTitles(
  db: Kysely<Database>,
  input: { userId: string; platformId: PlatformId; keepGameIds: string[] },
): Promise<WriteCounts> {
  const counts = emptyWriteCounts();
  await db.transaction().execute(async (trx) => {
    const unlocks = await sql`
      delete from user_achievements
       where user_id = ${input.userId} and platform_id = ${input.platformId}
         and not (platform_game_id = any(${pgArrayLiteral(input.keepGameIds)}::text[]))
    `.execute(trx);
    const progress = await sql`
      delete from user_progress
       where user_id = ${input.userId} and platform_id = ${input.platformId}
         and not (platform_game_id = any(${pgArrayLiteral(input.keepGameIds)}::text[]))
    `.execute(trx);
    counts.user_achievements.deleted = Number(unlocks.numAffectedRows ?? 0);
    counts.user_progress.deleted = Number(progress.numAffectedRows ?? 0);
  });
  return counts;
}
