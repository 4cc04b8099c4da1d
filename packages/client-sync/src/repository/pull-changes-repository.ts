import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '@ach/db';
import { PULLED_TABLES, RECENT_RUNS_PER_PLATFORM, type PulledTable } from '../protocol/client-tables.ts';

/**
 * THE pull: everything one user may see that changed since a watermark, read by ONE statement so
 * every table, every tombstone and the returned watermark come from the same snapshot (see
 * migration 0008 and docs/client-sync.md). Postgres builds the JSON of each table's arrays; the
 * caller splices the texts into the response without parsing them.
 *
 * Records of the writable tables carry `sync_version` (their stamp): the app sends it back with a
 * push, which then conflicts exactly when the row changed since.
 */

export interface PullChangesInput {
  userId: string;
  /** The client's lastPulledAt: 0 for a first pull (everything, no deletions). */
  watermark: number;
  /** Tables to send in full whatever the watermark (a client schema migration added them or columns of them). */
  fullTables?: ReadonlySet<PulledTable>;
}

export interface PulledTableChanges {
  /** JSON text of an array of records. */
  updated: string;
  /** JSON text of an array of record ids. */
  deleted: string;
  updatedCount: number;
  deletedCount: number;
}

export type PullChangesResult =
  | { kind: 'changes'; timestamp: number; tables: Record<PulledTable, PulledTableChanges> }
  | { kind: 'reset_required'; reason: 'tombstones_purged' | 'unknown_watermark' };

/** Milliseconds since the epoch (float8 arithmetic: `extract` is numeric and several times slower). */
const ms = (column: RawBuilder<unknown>) => sql`(date_part('epoch', ${column}) * 1000)::bigint`;
const col = (ref: string) => sql.ref(ref);

/** A record id of a game / achievement as the tombstones spell it. */
const gameId = (alias: string) => sql`${col(`${alias}.platform_id`)} || ':' || ${col(`${alias}.platform_game_id`)}`;
const achievementId = (alias: string) => sql`${gameId(alias)} || ':' || ${col(`${alias}.platform_achievement_id`)}`;

export interface PullRow {
  ok: boolean;
  watermark: number;
  purged_through: number;
  [column: string]: unknown;
}

export async function pullChanges(db: Kysely<Database>, input: PullChangesInput): Promise<PullChangesResult> {
  // Most pulls find nothing new: a cheap statement (a few index probes, little to plan) answers
  // them from its own snapshot; only when something changed does the full statement run (and
  // answer from its own snapshot, with its own watermark).
  if (input.watermark > 0 && !input.fullTables?.size) {
    const quick = await changedSince(db, input.userId, input.watermark);
    if (!quick.ok) return { kind: 'reset_required', reason: input.watermark <= quick.purged_through ? 'tombstones_purged' : 'unknown_watermark' };
    if (!quick.changed) {
      const none: PulledTableChanges = { updated: '[]', deleted: '[]', updatedCount: 0, deletedCount: 0 };
      return { kind: 'changes', timestamp: quick.watermark, tables: Object.fromEntries(PULLED_TABLES.map((t) => [t, none])) as Record<PulledTable, PulledTableChanges> };
    }
  }
  const result = await pullStatement(input).execute(db);
  const row = result.rows[0]!;
  if (!row.ok) return { kind: 'reset_required', reason: input.watermark <= row.purged_through ? 'tombstones_purged' : 'unknown_watermark' };
  const tables = Object.fromEntries(
    PULLED_TABLES.map((t): [PulledTable, PulledTableChanges] => [t, {
      updated: row[`${t}_j`] as string,
      updatedCount: row[`${t}_n`] as number,
      deleted: (row[`${t}_dj`] as string | undefined) ?? '[]',
      deletedCount: (row[`${t}_dn`] as number | undefined) ?? 0,
    }]),
  ) as Record<PulledTable, PulledTableChanges>;
  return { kind: 'changes', timestamp: row.watermark, tables };
}

/** Whether anything the caller may see changed since the watermark, and the watermark of this snapshot. */
async function changedSince(db: Kysely<Database>, userId: string, watermark: number) {
  const U = sql`${userId}::uuid`;
  const W = sql`${watermark}::bigint`;
  const { rows } = await sql<{ ok: boolean; changed: boolean; watermark: number; purged_through: number }>`
    with snap as materialized (
      select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as watermark,
             pg_snapshot_xmax(pg_current_snapshot())::text::bigint as xmax,
             coalesce((select h.purged_through_xid from tombstone_purge_horizon h), 0) as purged_through
    )
    select s.watermark, s.purged_through, (${W} > s.purged_through and ${W} <= s.xmax) as ok,
           exists (select 1 from users u where u.id = ${U} and u.sync_xid >= ${W})
        or exists (select 1 from platform_accounts pa where pa.user_id = ${U} and pa.sync_xid >= ${W})
        or exists (select 1 from user_progress up where up.user_id = ${U} and up.sync_xid >= ${W})
        or exists (select 1 from user_achievements ua where ua.user_id = ${U} and ua.sync_xid >= ${W})
        or exists (select 1 from sync_logs l where l.user_id = ${U} and l.sync_xid >= ${W})
        or exists (select 1 from trophy_help_requests h where h.profile_id = ${U} and h.sync_xid >= ${W})
        or exists (select 1 from flex_room_data f where f.profile_id = ${U} and f.sync_xid >= ${W})
        or exists (select 1 from deleted_records d where d.user_id = ${U} and d.sync_xid >= ${W})
        or exists (select 1 from games g where g.sync_xid >= ${W}
                     and exists (select 1 from user_progress up where up.user_id = ${U} and up.platform_id = g.platform_id and up.platform_game_id = g.platform_game_id))
        or exists (select 1 from achievements a where a.sync_xid >= ${W}
                     and exists (select 1 from user_progress up where up.user_id = ${U} and up.platform_id = a.platform_id and up.platform_game_id = a.platform_game_id))
           as changed
      from snap s`.execute(db);
  return rows[0]!;
}

/** The pull's one statement (exported for EXPLAIN in benchmarks). */
export function pullStatement(input: PullChangesInput): RawBuilder<PullRow> {
  const u = input.userId;
  const w = input.watermark;
  // Per table: the watermark its live rows are read from (0 = all of them). Deletions always use w.
  const since = (table: PulledTable) => (input.fullTables?.has(table) ? 0 : w);
  const s = Object.fromEntries(PULLED_TABLES.map((t) => [t, sql`${since(t)}::bigint`])) as Record<PulledTable, RawBuilder<unknown>>;
  const W = sql`${w}::bigint`;
  const U = sql`${u}::uuid`;

  return sql<PullRow>`
    with snap as materialized (
      select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as watermark,
             pg_snapshot_xmax(pg_current_snapshot())::text::bigint as xmax,
             coalesce((select h.purged_through_xid from tombstone_purge_horizon h), 0) as purged_through
    ),
    -- A watermark at or below the purge horizon may have missed a purged tombstone; one above the
    -- snapshot's xmax was never issued by this database.
    gate as materialized (
      select s.watermark, s.purged_through, (${W} = 0 or (${W} > s.purged_through and ${W} <= s.xmax)) as ok from snap s
    ),
    t_user_profile as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select u.id, u.email, u.email_verified, u.username, u.display_name, u.avatar_url, u.sync_xid as sync_version,
               ${ms(col('u.created_at'))} as created_at, ${ms(col('u.updated_at'))} as updated_at
          from users u
         where u.id = ${U} and u.sync_xid >= ${s.user_profile} and (select ok from gate)) r
    ),
    t_platform_accounts as (
      -- Never the sealed credentials.
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select pa.platform_id::text as id, pa.platform_id, pa.external_account_id, pa.display_name, pa.avatar_url, pa.verified,
               pa.sync_status, pa.sync_progress, pa.last_sync_id, ${ms(col('pa.last_synced_at'))} as last_synced_at, pa.last_error_code,
               pa.needs_attention, ${ms(col('pa.token_expires_at'))} as token_expires_at, ${ms(col('pa.refresh_expires_at'))} as refresh_expires_at,
               ${ms(col('pa.created_at'))} as created_at, ${ms(col('pa.updated_at'))} as updated_at
          from platform_accounts pa
         where pa.user_id = ${U} and pa.sync_xid >= ${s.platform_accounts} and (select ok from gate)) r
    ),
    t_user_progress as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select ${gameId('up')} as id, ${gameId('up')} as game_id, up.platform_id, up.platform_game_id,
               up.achievements_total, up.achievements_earned, up.points_earned, up.points_total, up.completion_percentage,
               up.playtime_minutes, ${ms(col('up.last_played_at'))} as last_played_at, up.platform_specific_data::text as platform_specific_data,
               ${ms(col('up.created_at'))} as created_at, ${ms(col('up.updated_at'))} as updated_at
          from user_progress up
         where up.user_id = ${U} and up.sync_xid >= ${s.user_progress} and (select ok from gate)) r
    ),
    -- Lean records (the biggest tables): the game and achievement ids carry the platform keys.
    t_user_achievements as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select ${achievementId('ua')} as id, ${achievementId('ua')} as achievement_id, ${gameId('ua')} as game_id,
               ua.platform_achievement_id, ${ms(col('ua.earned_at'))} as earned_at,
               ${ms(col('ua.created_at'))} as created_at, ${ms(col('ua.updated_at'))} as updated_at
          from user_achievements ua
         where ua.user_id = ${U} and ua.sync_xid >= ${s.user_achievements} and (select ok from gate)) r
    ),
    -- The caller's games: those whose progress row is new since the watermark (all of it on a first
    -- pull), and those whose shared row changed since.
    t_games as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select ${gameId('g')} as id, g.platform_id, g.platform_game_id, g.name, g.icon_url, g.achievements_total,
               g.platform_specific_data::text as platform_specific_data,
               ${ms(col('g.created_at'))} as created_at, ${ms(col('g.updated_at'))} as updated_at
          from (
            select up.platform_id, up.platform_game_id from user_progress up
             where up.user_id = ${U} and up.sync_xid >= ${s.games} and up.sync_created_xid >= ${s.games}
            union all
            select cg.platform_id, cg.platform_game_id from games cg
             where ${s.games} > 0 and cg.sync_xid >= ${s.games}
               and exists (select 1 from user_progress up
                            where up.user_id = ${U} and up.platform_id = cg.platform_id and up.platform_game_id = cg.platform_game_id
                              and up.sync_created_xid < ${s.games})
          ) k
          join games g on g.platform_id = k.platform_id and g.platform_game_id = k.platform_game_id
         where (select ok from gate)) r
    ),
    -- Achievements of the caller's games: all of a game new to them, the changed ones of the others,
    -- and a hidden one whose unlock changed (its description shows once earned, as in GET /me/games/…).
    t_achievements as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select ${achievementId('a')} as id, ${gameId('a')} as game_id, a.platform_achievement_id, a.name,
               case when a.hidden and not exists (
                      select 1 from user_achievements e
                       where e.user_id = ${U} and e.platform_id = a.platform_id and e.platform_game_id = a.platform_game_id
                         and e.platform_achievement_id = a.platform_achievement_id) then null else a.description end as description,
               a.icon_url, a.icon_locked_url, a.hidden, a.points, a.type, a.rarity_percentage,
               a.platform_specific_data::text as platform_specific_data,
               ${ms(col('a.created_at'))} as created_at, ${ms(col('a.updated_at'))} as updated_at
          from (
            select na.* from user_progress up
              join achievements na on na.platform_id = up.platform_id and na.platform_game_id = up.platform_game_id
             where up.user_id = ${U} and up.sync_xid >= ${s.achievements} and up.sync_created_xid >= ${s.achievements}
            union all
            select ca.* from achievements ca
             where ${s.achievements} > 0 and ca.sync_xid >= ${s.achievements}
               and exists (select 1 from user_progress up
                            where up.user_id = ${U} and up.platform_id = ca.platform_id and up.platform_game_id = ca.platform_game_id
                              and up.sync_created_xid < ${s.achievements})
            union all
            select ha.* from user_achievements ua
              join achievements ha on ha.platform_id = ua.platform_id and ha.platform_game_id = ua.platform_game_id
                                  and ha.platform_achievement_id = ua.platform_achievement_id
             where ${s.achievements} > 0 and ua.user_id = ${U} and ua.sync_xid >= ${s.achievements}
               and ha.hidden and ha.sync_xid < ${s.achievements}
               and exists (select 1 from user_progress up
                            where up.user_id = ${U} and up.platform_id = ha.platform_id and up.platform_game_id = ha.platform_game_id
                              and up.sync_created_xid < ${s.achievements})
          ) a
         where (select ok from gate)) r
    ),
    -- A first pull sends the latest runs per platform; later pulls every run that changed.
    t_sync_logs as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select l.id, l.platform_id, l.mode, l.status, l.progress, l.stats::text as stats, l.error_code, l.error_message,
               ${ms(col('l.created_at'))} as created_at, ${ms(col('l.started_at'))} as started_at,
               ${ms(col('l.finished_at'))} as finished_at, ${ms(col('l.updated_at'))} as updated_at
          from (
            select cs.* from sync_logs cs where ${s.sync_logs} > 0 and cs.user_id = ${U} and cs.sync_xid >= ${s.sync_logs}
            union all
            select lr.* from platforms p
              cross join lateral (select rs.* from sync_logs rs
                                   where ${s.sync_logs} = 0 and rs.user_id = ${U} and rs.platform_id = p.id
                                   order by rs.created_at desc limit ${RECENT_RUNS_PER_PLATFORM}) lr
          ) l
         where (select ok from gate)) r
    ),
    t_trophy_help_requests as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select h.id, h.profile_id, h.platform_id, h.platform_game_id, h.platform_achievement_id, h.message, h.status,
               h.sync_xid as sync_version, ${ms(col('h.created_at'))} as created_at, ${ms(col('h.updated_at'))} as updated_at
          from trophy_help_requests h
         where h.profile_id = ${U} and h.sync_xid >= ${s.trophy_help_requests} and (select ok from gate)) r
    ),
    t_flex_room_data as (
      select count(*)::int as n, coalesce(json_agg(r), '[]')::text as j from (
        select f.id, f.profile_id, f.showcase::text as showcase, f.sync_xid as sync_version,
               ${ms(col('f.created_at'))} as created_at, ${ms(col('f.updated_at'))} as updated_at
          from flex_room_data f
         where f.profile_id = ${U} and f.sync_xid >= ${s.flex_room_data} and (select ok from gate)) r
    ),
    -- Tombstones since the watermark (none on a first pull). A record live again (re-created after
    -- its tombstone) is not deleted: each table checks its live row by key.
    gone as materialized (
      select t.table_name, t.record_id from deleted_records t
       where ${W} > 0 and t.user_id = ${U} and t.sync_xid >= ${W} and (select ok from gate)
    ),
    -- record_id '{platform_id}:{platform_game_id}': the first ':' splits it unambiguously.
    gone_games as materialized (
      select gp.record_id, gp.platform_id, substr(gp.record_id, strpos(gp.record_id, ':') + 1) as platform_game_id
        from (select g.record_id, case when g.record_id ~ '^[0-9]{1,4}:' then split_part(g.record_id, ':', 1)::smallint end as platform_id
                from gone g where g.table_name = 'user_progress') gp
       where not exists (select 1 from user_progress up
                          where up.user_id = ${U} and up.platform_id = gp.platform_id
                            and up.platform_game_id = substr(gp.record_id, strpos(gp.record_id, ':') + 1))
    ),
    d_user_progress as (
      select count(*)::int as n, coalesce(json_agg(gg.record_id), '[]')::text as j from gone_games gg
    ),
    d_achievements as (
      select count(*)::int as n, coalesce(json_agg(${achievementId('a')}), '[]')::text as j
        from gone_games gg join achievements a on a.platform_id = gg.platform_id and a.platform_game_id = gg.platform_game_id
    ),
    -- '{platform_id}:{game}:{achievement}': a game or achievement id may itself hold ':', so every
    -- split after the platform is tried against the primary key (normally exactly one).
    d_user_achievements as (
      select count(*)::int as n, coalesce(json_agg(g.record_id), '[]')::text as j
        from gone g
       where g.table_name = 'user_achievements'
         and not exists (
           select 1 from generate_series(strpos(g.record_id, ':') + 1, length(g.record_id)) i
             join user_achievements ua
               on ua.user_id = ${U}
              and ua.platform_id = case when g.record_id ~ '^[0-9]{1,4}:' then split_part(g.record_id, ':', 1)::smallint end
              and ua.platform_game_id = substr(g.record_id, strpos(g.record_id, ':') + 1, i - strpos(g.record_id, ':') - 1)
              and ua.platform_achievement_id = substr(g.record_id, i + 1)
            where substr(g.record_id, i, 1) = ':')
    ),
    d_platform_accounts as (
      select count(*)::int as n, coalesce(json_agg(g.record_id), '[]')::text as j
        from gone g
       where g.table_name = 'platform_accounts'
         and not exists (select 1 from platform_accounts pa
                          where pa.user_id = ${U} and pa.platform_id = case when g.record_id ~ '^[0-9]{1,4}$' then g.record_id::smallint end)
    ),
    d_trophy_help_requests as (
      select count(*)::int as n, coalesce(json_agg(g.record_id), '[]')::text as j
        from gone g
       where g.table_name = 'trophy_help_requests'
         and not exists (select 1 from trophy_help_requests h where h.profile_id = ${U} and h.id = g.record_id)
    ),
    d_flex_room_data as (
      select count(*)::int as n, coalesce(json_agg(g.record_id), '[]')::text as j
        from gone g
       where g.table_name = 'flex_room_data'
         and not exists (select 1 from flex_room_data f where f.profile_id = ${U} and f.id = g.record_id)
    )
    select gate.ok, gate.watermark, gate.purged_through,
           t_user_profile.n as user_profile_n, t_user_profile.j as user_profile_j,
           t_platform_accounts.n as platform_accounts_n, t_platform_accounts.j as platform_accounts_j, d_platform_accounts.n as platform_accounts_dn, d_platform_accounts.j as platform_accounts_dj,
           t_games.n as games_n, t_games.j as games_j, d_user_progress.n as games_dn, d_user_progress.j as games_dj,
           t_achievements.n as achievements_n, t_achievements.j as achievements_j, d_achievements.n as achievements_dn, d_achievements.j as achievements_dj,
           t_user_progress.n as user_progress_n, t_user_progress.j as user_progress_j, d_user_progress.n as user_progress_dn, d_user_progress.j as user_progress_dj,
           t_user_achievements.n as user_achievements_n, t_user_achievements.j as user_achievements_j, d_user_achievements.n as user_achievements_dn, d_user_achievements.j as user_achievements_dj,
           t_sync_logs.n as sync_logs_n, t_sync_logs.j as sync_logs_j,
           t_trophy_help_requests.n as trophy_help_requests_n, t_trophy_help_requests.j as trophy_help_requests_j, d_trophy_help_requests.n as trophy_help_requests_dn, d_trophy_help_requests.j as trophy_help_requests_dj,
           t_flex_room_data.n as flex_room_data_n, t_flex_room_data.j as flex_room_data_j, d_flex_room_data.n as flex_room_data_dn, d_flex_room_data.j as flex_room_data_dj
      from gate, t_user_profile, t_platform_accounts, t_user_progress, t_user_achievements, t_games, t_achievements, t_sync_logs,
           t_trophy_help_requests, t_flex_room_data, d_user_progress, d_achievements, d_user_achievements, d_platform_accounts,
           d_trophy_help_requests, d_flex_room_data
  `;
}
