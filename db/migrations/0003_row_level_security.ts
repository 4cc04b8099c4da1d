import { sql, type Kysely } from 'kysely';

/**
 * Row-level security for clients that talk to Postgres directly with a Supabase JWT (PostgREST,
 * Realtime): `authenticated` sees its own rows, writes only the two tables the app owns outright,
 * never sees stored platform credentials; `anon` sees reference data only. The services connect as
 * the owner or as `service_role` (BYPASSRLS) and are not limited by any of this.
 *
 * Supabase grants ALL on new public tables to anon/authenticated by default privileges, so every
 * grant here starts from a revoke: the end state is the same on Supabase and on plain Postgres.
 */

/** Tables whose rows belong to one user, with the column naming the owner. */
const OWNED_TABLES = [
  ['users', 'id'],
  ['platform_accounts', 'user_id'],
  ['user_progress', 'user_id'],
  ['user_achievements', 'user_id'],
  ['sync_logs', 'user_id'],
  ['trophy_help_requests', 'profile_id'],
  ['flex_room_data', 'profile_id'],
  ['deleted_records', 'user_id'],
] as const;

/** Written by the app itself (through the API's /sync-push, or directly under RLS). */
const CLIENT_WRITABLE_TABLES = ['trophy_help_requests', 'flex_room_data'] as const;

const REFERENCE_TABLES = ['platforms', 'games', 'achievements'] as const;

/** Operational tables: RLS on and no policy, so only the owner and service_role see them. */
const INTERNAL_TABLES = ['user_sync_failures', 'user_sync_monitoring_log', 'cleanup_audit_log'] as const;

const VIEWS = ['profiles', 'psn_sync_logs', 'xbox_sync_logs', 'steam_sync_logs'] as const;

/** Every platform_accounts column except the sealed credentials and their key id. */
const PLATFORM_ACCOUNT_VISIBLE_COLUMNS = [
  'user_id', 'platform_id', 'external_account_id', 'display_name', 'avatar_url', 'token_expires_at',
  'refresh_expires_at', 'sync_status', 'sync_progress', 'last_sync_id', 'last_synced_at', 'last_error_code',
  'needs_attention', 'created_at', 'updated_at',
] as const;

const ALL_TABLES = [...OWNED_TABLES.map(([t]) => t), ...REFERENCE_TABLES, ...INTERNAL_TABLES];

const table = (name: string) => sql.table(`public.${name}`);
const id = (name: string) => sql.id(name);

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const name of ALL_TABLES) {
    await sql`alter table ${table(name)} enable row level security`.execute(db);
    await sql`revoke all on ${table(name)} from anon, authenticated`.execute(db);
    await sql`grant all on ${table(name)} to service_role`.execute(db);
  }
  for (const name of VIEWS) {
    await sql`revoke all on ${table(name)} from anon, authenticated`.execute(db);
    await sql`grant select on ${table(name)} to authenticated, service_role`.execute(db);
  }

  // `(select auth.uid())` is evaluated once per statement (an InitPlan) instead of once per row.
  for (const [name, owner] of OWNED_TABLES) {
    await sql`create policy ${id(`${name}_select_own`)} on ${table(name)} for select to authenticated
      using (${id(owner)} = (select auth.uid()))`.execute(db);
    if (name !== 'platform_accounts') await sql`grant select on ${table(name)} to authenticated`.execute(db);
  }
  await sql`grant select (${sql.join(PLATFORM_ACCOUNT_VISIBLE_COLUMNS.map(id))}) on public.platform_accounts to authenticated`.execute(db);

  for (const name of CLIENT_WRITABLE_TABLES) {
    await sql`create policy ${id(`${name}_insert_own`)} on ${table(name)} for insert to authenticated
      with check (profile_id = (select auth.uid()))`.execute(db);
    await sql`create policy ${id(`${name}_update_own`)} on ${table(name)} for update to authenticated
      using (profile_id = (select auth.uid())) with check (profile_id = (select auth.uid()))`.execute(db);
    await sql`create policy ${id(`${name}_delete_own`)} on ${table(name)} for delete to authenticated
      using (profile_id = (select auth.uid()))`.execute(db);
    await sql`grant insert, update, delete on ${table(name)} to authenticated`.execute(db);
  }

  for (const name of REFERENCE_TABLES) {
    await sql`create policy ${id(`${name}_select_all`)} on ${table(name)} for select to anon, authenticated
      using (true)`.execute(db);
    await sql`grant select on ${table(name)} to anon, authenticated`.execute(db);
  }

  await sql`grant usage, select on all sequences in schema public to service_role`.execute(db);
}

/**
 * Drops the policies and turns RLS off. Grants to anon/authenticated are revoked rather than put
 * back to Supabase's defaults: without RLS, ALL for anon would expose every row.
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of REFERENCE_TABLES) {
    await sql`drop policy if exists ${id(`${name}_select_all`)} on ${table(name)}`.execute(db);
  }
  for (const name of CLIENT_WRITABLE_TABLES) {
    for (const op of ['insert', 'update', 'delete']) {
      await sql`drop policy if exists ${id(`${name}_${op}_own`)} on ${table(name)}`.execute(db);
    }
  }
  for (const [name] of OWNED_TABLES) {
    await sql`drop policy if exists ${id(`${name}_select_own`)} on ${table(name)}`.execute(db);
  }
  for (const name of VIEWS) {
    await sql`revoke all on ${table(name)} from anon, authenticated, service_role`.execute(db);
  }
  for (const name of ALL_TABLES) {
    await sql`revoke all on ${table(name)} from anon, authenticated, service_role`.execute(db);
    await sql`alter table ${table(name)} disable row level security`.execute(db);
  }
  await sql`revoke usage, select on all sequences in schema public from service_role`.execute(db);
}
