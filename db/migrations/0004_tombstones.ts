import { sql, type Kysely } from 'kysely';

/**
 * Tombstones for WatermelonDB pulls: every delete from a table the app syncs leaves
 * `(user_id, table_name, record_id, deleted_at)` in `public.deleted_records`.
 *
 * record_id is the id the app knows the record by: `id` for tables with a client-generated text id,
 * the key columns after the user joined with ':' for composite keys.
 *
 * Statement-level triggers with a transition table: a full resync can delete thousands of
 * user_achievements in one statement, and one set-based upsert per statement is several times
 * cheaper than a PL/pgSQL call plus a single-row upsert per deleted row.
 */
const TOMBSTONED_TABLES = ['user_progress', 'user_achievements', 'trophy_help_requests', 'flex_room_data', 'platform_accounts'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function public.record_deletion() returns trigger
    language plpgsql security definer set search_path = '' as $fn$
    begin
      -- One static statement per table: each is planned once per session, against that table's columns.
      -- DISTINCT: two keys can join to the same record_id (an id containing ':'), and one upsert
      -- must not touch a row twice.
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

    create function public.cleanup_old_tombstones() returns integer
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

    revoke execute on function public.record_deletion(), public.cleanup_old_tombstones() from public, anon, authenticated;
    grant execute on function public.cleanup_old_tombstones() to service_role;
  `.execute(db);

  for (const name of TOMBSTONED_TABLES) {
    await sql`create trigger record_deletion after delete on ${sql.table(`public.${name}`)}
      referencing old table as old_rows
      for each statement execute function public.record_deletion()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of TOMBSTONED_TABLES) {
    await sql`drop trigger if exists record_deletion on ${sql.table(`public.${name}`)}`.execute(db);
  }
  await sql`
    drop function if exists public.cleanup_old_tombstones();
    drop function if exists public.record_deletion();
  `.execute(db);
}
