import { sql, type Kysely } from 'kysely';

/**
 * Change tracking for the mobile client's WatermelonDB sync (`POST /sync-pull`, `POST /sync-push`),
 * correct under concurrency. docs/client-sync.md explains the protocol; this is its storage.
 *
 * `updated_at` is the writing transaction's START time (`now()`), so `updated_at > lastPulledAt`
 * misses a row that a transaction which began before a pull commits after it. Instead every synced
 * row carries `sync_xid`: the 64-bit id (xid8 as bigint) of the transaction that last wrote it. A
 * pull reads everything in one statement and returns as its `timestamp` the xmin of that
 * statement's snapshot: every transaction with a smaller id had finished (and is visible) then, and
 * every transaction that could still commit afterwards has an id ≥ it. The next pull asks for
 * `sync_xid >= timestamp` and therefore sees whatever committed after the previous snapshot,
 * however early its transaction started. (Rows visible to a pull with an id ≥ its xmin are sent
 * again by the next one: harmless for WatermelonDB.)
 *
 * - `sync_xid` on every table a pull reads and on `deleted_records`: the column default stamps
 *   inserts; the existing BEFORE UPDATE trigger (`set_updated_at`, same name so nothing that names
 *   it changes) now runs `set_updated_at_and_sync_xid()`, which also stamps updates. Every writing
 *   transaction gives the row a new stamp, so it is also the record's version: a pushed record
 *   carrying the `sync_version` it was pulled with conflicts exactly when the row changed since (a
 *   watermark alone would also refuse rows written by transactions still running at the pull:
 *   snapshots, and so their xmin, span every database of the cluster).
 * - `user_progress.sync_created_xid`: the transaction that created the row (insert default only), so a
 *   pull sends all achievements of a game new to the caller, and none of one whose progress changed.
 *   A row created since a watermark but last written before it was seen by that pull already (its
 *   creator committed before its last writer, which finished before the pull).
 * - Existing rows start with both at 0 (constant default: no table rewrite); a first pull
 *   (`lastPulledAt` null) reads everything anyway.
 * - indexes `(owner, sync_xid)` on the per-user tables with many rows, `(sync_xid)` on the shared
 *   `games` / `achievements` (changes since a watermark across all games, joined to the caller's).
 * - `record_deletion()` (0004) stamps tombstones too, again on a repeated delete.
 * - `tombstone_purge_horizon`: the largest stamp `cleanup_old_tombstones()` has ever purged. A
 *   client whose watermark is at or below it may have missed a purged deletion and must reset
 *   (409 `sync_reset_required`); one above it has seen every deletion still unknown to it.
 * - `trophy_help_requests` and `flex_room_data` are keyed `(profile_id, id)`: a client-generated id
 *   belongs to its user, so another user's id neither collides with it nor is revealed by a refusal.
 */

/** Tables whose rows a pull sends, with the trigger 0001 gave them (kept, now stamping sync_xid too). */
const STAMPED_TABLES = [
  'users', 'platform_accounts', 'games', 'achievements', 'user_progress', 'user_achievements',
  'sync_logs', 'trophy_help_requests', 'flex_room_data',
] as const;

/** Pulls filter these by owner and watermark; the rest are tiny per user or read by primary key. */
const WATERMARK_INDEXES = [
  ['user_progress_user_sync_xid_idx', 'user_progress', 'user_id, sync_xid'],
  ['user_achievements_user_sync_xid_idx', 'user_achievements', 'user_id, sync_xid'],
  ['sync_logs_user_sync_xid_idx', 'sync_logs', 'user_id, sync_xid'],
  ['deleted_records_user_sync_xid_idx', 'deleted_records', 'user_id, sync_xid'],
  ['games_sync_xid_idx', 'games', 'sync_xid'],
  ['achievements_sync_xid_idx', 'achievements', 'sync_xid'],
] as const;

const table = (name: string) => sql.table(`public.${name}`);

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const name of [...STAMPED_TABLES, 'deleted_records']) {
    // Constant default first (no rewrite of a big table), then the real one for new rows.
    await sql`alter table ${table(name)} add column sync_xid bigint not null default 0`.execute(db);
    await sql`alter table ${table(name)} alter column sync_xid set default (pg_current_xact_id()::text::bigint)`.execute(db);
  }

  // The transaction that created a progress row: a game new to the caller since a pull brings all its
  // achievements; one whose progress merely changed brings none.
  await sql`alter table public.user_progress add column sync_created_xid bigint not null default 0`.execute(db);
  await sql`alter table public.user_progress alter column sync_created_xid set default (pg_current_xact_id()::text::bigint)`.execute(db);

  await sql`
    -- No SET search_path: it would cost a GUC save/restore per row, and both calls are pg_catalog's.
    create function public.set_updated_at_and_sync_xid() returns trigger language plpgsql as $fn$
    begin
      new.updated_at := now();
      new.sync_xid := pg_current_xact_id()::text::bigint;
      return new;
    end $fn$;
    revoke execute on function public.set_updated_at_and_sync_xid() from public, anon, authenticated;
  `.execute(db);
  for (const name of STAMPED_TABLES) {
    await sql`drop trigger set_updated_at on ${table(name)}`.execute(db);
    await sql`create trigger set_updated_at before update on ${table(name)}
      for each row execute function public.set_updated_at_and_sync_xid()`.execute(db);
  }

  for (const [index, name, columns] of WATERMARK_INDEXES) {
    await sql`create index ${sql.id(index)} on ${table(name)} (${sql.raw(columns)})`.execute(db);
  }

  await sql`
    -- Per-user client ids. flex_room_data stays one row per user (its unique profile_id).
    alter table public.trophy_help_requests drop constraint trophy_help_requests_pkey;
    alter table public.trophy_help_requests add primary key (profile_id, id);
    drop index public.trophy_help_requests_profile_updated_idx;
    alter table public.flex_room_data drop constraint flex_room_data_pkey;
    alter table public.flex_room_data add primary key (profile_id, id);
    drop index public.flex_room_data_profile_updated_idx;

    create table public.tombstone_purge_horizon (
      singleton boolean primary key default true check (singleton),
      purged_through_xid bigint not null default 0,
      purged_at timestamptz
    );
    insert into public.tombstone_purge_horizon (singleton) values (true);
    alter table public.tombstone_purge_horizon enable row level security;
    revoke all on public.tombstone_purge_horizon from anon, authenticated;
    grant select on public.tombstone_purge_horizon to service_role;

    create or replace function public.record_deletion() returns trigger
    language plpgsql security definer set search_path = '' as $fn$
    begin
      -- As in 0004, plus the stamp: the column default gives the deleting transaction's id, also
      -- on a repeated delete, so the next pull sends the tombstone again.
      case tg_table_name
        when 'user_achievements' then
          insert into public.deleted_records as d (user_id, table_name, record_id, deleted_at)
          select distinct o.user_id, tg_table_name, o.platform_id || ':' || o.platform_game_id || ':' || o.platform_achievement_id, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at, sync_xid = excluded.sync_xid;
        when 'user_progress' then
          insert into public.deleted_records as d (user_id, table_name, record_id, deleted_at)
          select distinct o.user_id, tg_table_name, o.platform_id || ':' || o.platform_game_id, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at, sync_xid = excluded.sync_xid;
        when 'platform_accounts' then
          insert into public.deleted_records as d (user_id, table_name, record_id, deleted_at)
          select o.user_id, tg_table_name, o.platform_id::text, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at, sync_xid = excluded.sync_xid;
        when 'trophy_help_requests', 'flex_room_data' then
          insert into public.deleted_records as d (user_id, table_name, record_id, deleted_at)
          select o.profile_id, tg_table_name, o.id, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at, sync_xid = excluded.sync_xid;
        else
          raise exception 'record_deletion() is not set up for table %', tg_table_name;
      end case;
      return null;
    end $fn$;

    create or replace function public.cleanup_old_tombstones() returns integer
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_cutoff constant timestamptz := now() - interval '30 days';
      v_deleted integer;
      v_purged_through bigint;
    begin
      with purged as (
        delete from public.deleted_records d where d.deleted_at < v_cutoff returning d.sync_xid
      )
      select count(*)::integer, max(p.sync_xid) into v_deleted, v_purged_through from purged p;
      -- Clients whose watermark is at or below the largest purged stamp may have missed a deletion.
      if v_purged_through is not null then
        update public.tombstone_purge_horizon h
           set purged_through_xid = greatest(h.purged_through_xid, v_purged_through), purged_at = now();
      end if;
      insert into public.cleanup_audit_log (action, affected_count, details, performed_by)
      values ('cleanup_old_tombstones', v_deleted,
              jsonb_build_object('retention_days', 30, 'cutoff', v_cutoff, 'purged_through_xid', v_purged_through), session_user);
      return v_deleted;
    end $fn$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function public.cleanup_old_tombstones() returns integer
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_cutoff constant timestamptz := now() - interval '30 days';
      v_deleted integer;
    begin
      delete from public.deleted_records d where d.deleted_at < v_cutoff;
      get diagnostics v_deleted = row_count;
      insert into public.cleanup_audit_log (action, affected_count, details, performed_by)
      values ('cleanup_old_tombstones', v_deleted, jsonb_build_object('retention_days', 30, 'cutoff', v_cutoff), session_user);
      return v_deleted;
    end $fn$;

    create or replace function public.record_deletion() returns trigger
    language plpgsql security definer set search_path = '' as $fn$
    begin
      case tg_table_name
        when 'user_achievements' then
          insert into public.deleted_records (user_id, table_name, record_id, deleted_at)
          select distinct o.user_id, tg_table_name, o.platform_id || ':' || o.platform_game_id || ':' || o.platform_achievement_id, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at;
        when 'user_progress' then
          insert into public.deleted_records (user_id, table_name, record_id, deleted_at)
          select distinct o.user_id, tg_table_name, o.platform_id || ':' || o.platform_game_id, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at;
        when 'platform_accounts' then
          insert into public.deleted_records (user_id, table_name, record_id, deleted_at)
          select o.user_id, tg_table_name, o.platform_id::text, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at;
        when 'trophy_help_requests', 'flex_room_data' then
          insert into public.deleted_records (user_id, table_name, record_id, deleted_at)
          select o.profile_id, tg_table_name, o.id, now()
            from old_rows o
          on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at;
        else
          raise exception 'record_deletion() is not set up for table %', tg_table_name;
      end case;
      return null;
    end $fn$;

    drop table if exists public.tombstone_purge_horizon;

    -- Global client ids again: fails if two users hold the same id (then the data needs a decision first).
    create index flex_room_data_profile_updated_idx on public.flex_room_data (profile_id, updated_at);
    alter table public.flex_room_data drop constraint flex_room_data_pkey;
    alter table public.flex_room_data add primary key (id);
    create index trophy_help_requests_profile_updated_idx on public.trophy_help_requests (profile_id, updated_at);
    alter table public.trophy_help_requests drop constraint trophy_help_requests_pkey;
    alter table public.trophy_help_requests add primary key (id);
  `.execute(db);

  for (const [index] of WATERMARK_INDEXES) {
    await sql`drop index if exists ${sql.table(`public.${index}`)}`.execute(db);
  }
  for (const name of STAMPED_TABLES) {
    await sql`drop trigger if exists set_updated_at on ${table(name)}`.execute(db);
    await sql`create trigger set_updated_at before update on ${table(name)}
      for each row execute function public.set_updated_at()`.execute(db);
  }
  await sql`drop function if exists public.set_updated_at_and_sync_xid()`.execute(db);
  await sql`alter table public.user_progress drop column if exists sync_created_xid`.execute(db);
  for (const name of [...STAMPED_TABLES, 'deleted_records']) {
    await sql`alter table ${table(name)} drop column if exists sync_xid`.execute(db);
  }
}
