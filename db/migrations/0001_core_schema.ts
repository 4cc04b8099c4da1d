import { sql, type Kysely } from 'kysely';

/**
 * The auth shim, reference data and every table the services write. On Supabase the `auth` schema,
 * `auth.users`, `auth.uid()` and the API roles already exist: each is created only when absent, and
 * the shim is marked with a comment so `down` removes only what this migration created.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin; end if;
      if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
      if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin bypassrls; end if;
    end $$;

    create schema if not exists auth;

    do $$
    begin
      if to_regclass('auth.users') is null then
        create table auth.users (
          id uuid primary key default gen_random_uuid(),
          email text,
          email_confirmed_at timestamptz,
          phone text,
          raw_user_meta_data jsonb not null default '{}'::jsonb,
          raw_app_meta_data jsonb not null default '{}'::jsonb,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          deleted_at timestamptz
        );
        comment on table auth.users is 'achievement-sync shim of Supabase auth.users';
      end if;

      if to_regprocedure('auth.uid()') is null then
        -- Same resolution order as Supabase: the legacy per-claim setting, then the claims document.
        create function auth.uid() returns uuid language sql stable as $fn$
          select coalesce(
            nullif(current_setting('request.jwt.claim.sub', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
          )::uuid
        $fn$;
        comment on function auth.uid() is 'achievement-sync shim of Supabase auth.uid()';
      end if;

      if to_regprocedure('auth.role()') is null then
        create function auth.role() returns text language sql stable as $fn$
          select coalesce(
            nullif(current_setting('request.jwt.claim.role', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
          )::text
        $fn$;
        comment on function auth.role() is 'achievement-sync shim of Supabase auth.role()';
      end if;

      if to_regprocedure('auth.jwt()') is null then
        create function auth.jwt() returns jsonb language sql stable as $fn$
          select coalesce(
            nullif(current_setting('request.jwt.claim', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')
          )::jsonb
        $fn$;
        comment on function auth.jwt() is 'achievement-sync shim of Supabase auth.jwt()';
      end if;
    end $$;

    -- The incremental ghost-user check scans recent signups. On Supabase the auth schema may not
    -- be ours to index; the check still works there, only slower.
    do $$
    begin
      if to_regclass('auth.users_created_at_idx') is null then
        create index users_created_at_idx on auth.users (created_at);
        comment on index auth.users_created_at_idx is 'achievement-sync index for the ghost-user check';
      end if;
    exception when insufficient_privilege then
      raise notice 'no privilege to index auth.users(created_at); skipped';
    end $$;

    grant usage on schema auth to anon, authenticated, service_role;

    create or replace function public.set_updated_at() returns trigger language plpgsql as $fn$
    begin
      new.updated_at := now();
      return new;
    end $fn$;

    create table public.platforms (
      id smallint primary key,
      code text not null unique,
      name text not null
    );
    insert into public.platforms (id, code, name) values
      (1, 'psn', 'PlayStation Network'), (2, 'xbox', 'Xbox Live'), (3, 'steam', 'Steam');

    create table public.users (
      id uuid primary key references auth.users (id) on delete cascade,
      email text,
      email_verified boolean not null default false,
      username text not null unique check (username ~ '^[a-z0-9_]{3,30}$'),
      display_name text,
      avatar_url text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table public.platform_accounts (
      user_id uuid not null references public.users (id) on delete cascade,
      platform_id smallint not null references public.platforms (id),
      external_account_id text not null,
      display_name text,
      avatar_url text,
      credentials_ciphertext text,
      credentials_key_id text,
      token_expires_at timestamptz,
      refresh_expires_at timestamptz,
      sync_status text not null default 'idle'
        check (sync_status in ('idle', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
      sync_progress smallint not null default 0 check (sync_progress between 0 and 100),
      last_sync_id uuid,
      last_synced_at timestamptz,
      last_error_code text,
      needs_attention boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (user_id, platform_id),
      check ((credentials_ciphertext is null) = (credentials_key_id is null))
    );
    create index platform_accounts_external_idx on public.platform_accounts (platform_id, external_account_id);

    create table public.games (
      platform_id smallint not null references public.platforms (id),
      platform_game_id text not null,
      name text not null,
      icon_url text,
      achievements_total integer not null default 0 check (achievements_total >= 0),
      platform_specific_data jsonb not null default '{}'::jsonb,
      metadata_fetched_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (platform_id, platform_game_id)
    );

    create table public.achievements (
      platform_id smallint not null,
      platform_game_id text not null,
      platform_achievement_id text not null,
      name text not null,
      description text,
      icon_url text,
      icon_locked_url text,
      hidden boolean not null default false,
      points integer,
      type text,
      rarity_percentage numeric(6, 3) check (rarity_percentage between 0 and 100),
      platform_specific_data jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (platform_id, platform_game_id, platform_achievement_id),
      foreign key (platform_id, platform_game_id) references public.games (platform_id, platform_game_id) on delete cascade
    );

    create table public.user_progress (
      user_id uuid not null references public.users (id) on delete cascade,
      platform_id smallint not null,
      platform_game_id text not null,
      achievements_total integer not null default 0 check (achievements_total >= 0),
      achievements_earned integer not null default 0 check (achievements_earned >= 0),
      points_earned integer,
      points_total integer,
      completion_percentage numeric(5, 2) not null default 0 check (completion_percentage between 0 and 100),
      playtime_minutes integer,
      last_played_at timestamptz,
      platform_specific_data jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (user_id, platform_id, platform_game_id),
      foreign key (platform_id, platform_game_id) references public.games (platform_id, platform_game_id) on delete cascade
    );
    -- "my games" pages are read newest-played first.
    create index user_progress_user_played_idx on public.user_progress (user_id, platform_id, last_played_at desc nulls last);
    create index user_progress_game_idx on public.user_progress (platform_id, platform_game_id);

    create table public.user_achievements (
      user_id uuid not null references public.users (id) on delete cascade,
      platform_id smallint not null,
      platform_game_id text not null,
      platform_achievement_id text not null,
      earned_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (user_id, platform_id, platform_game_id, platform_achievement_id),
      foreign key (platform_id, platform_game_id, platform_achievement_id)
        references public.achievements (platform_id, platform_game_id, platform_achievement_id) on delete cascade
    );
    create index user_achievements_achievement_idx on public.user_achievements (platform_id, platform_game_id, platform_achievement_id);

    create table public.sync_logs (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references public.users (id) on delete cascade,
      platform_id smallint not null references public.platforms (id),
      mode text not null default 'incremental' check (mode in ('incremental', 'full')),
      status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
      progress smallint not null default 0 check (progress between 0 and 100),
      stats jsonb not null default '{}'::jsonb,
      error_code text,
      error_message text,
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz not null default now()
    );
    -- The database, not a race in code, decides that one user has at most one live run per platform.
    create unique index sync_logs_one_live_run_idx on public.sync_logs (user_id, platform_id) where status in ('queued', 'running');
    create index sync_logs_user_created_idx on public.sync_logs (user_id, platform_id, created_at desc);
    create index sync_logs_live_updated_idx on public.sync_logs (status, updated_at) where status in ('queued', 'running');

    create view public.psn_sync_logs with (security_invoker = true) as select * from public.sync_logs where platform_id = 1;
    create view public.xbox_sync_logs with (security_invoker = true) as select * from public.sync_logs where platform_id = 2;
    create view public.steam_sync_logs with (security_invoker = true) as select * from public.sync_logs where platform_id = 3;

    create table public.trophy_help_requests (
      id text primary key,
      profile_id uuid not null references public.users (id) on delete cascade,
      platform_id smallint not null references public.platforms (id),
      platform_game_id text not null,
      platform_achievement_id text,
      message text,
      status text not null default 'open' check (status in ('open', 'resolved')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index trophy_help_requests_profile_updated_idx on public.trophy_help_requests (profile_id, updated_at);

    create table public.flex_room_data (
      id text primary key,
      profile_id uuid not null unique references public.users (id) on delete cascade,
      showcase jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index flex_room_data_profile_updated_idx on public.flex_room_data (profile_id, updated_at);

    create table public.deleted_records (
      id bigint generated always as identity primary key,
      user_id uuid not null,
      table_name text not null,
      record_id text not null,
      deleted_at timestamptz not null default now(),
      unique (user_id, table_name, record_id)
    );
    create index deleted_records_user_deleted_idx on public.deleted_records (user_id, deleted_at);
    create index deleted_records_deleted_at_idx on public.deleted_records (deleted_at);

    create table public.user_sync_monitoring_log (
      id bigint generated always as identity primary key,
      run_at timestamptz not null default now(),
      check_type text not null default 'full',
      status text not null check (status in ('healthy', 'warning', 'critical')),
      checks jsonb not null default '{}'::jsonb,
      ghost_users integer not null default 0,
      orphaned_profiles integer not null default 0,
      total_auth_users integer not null default 0,
      total_public_users integer not null default 0,
      duration_ms integer
    );
    create index user_sync_monitoring_log_run_at_idx on public.user_sync_monitoring_log (run_at desc);

    create table public.user_sync_failures (
      id bigint generated always as identity primary key,
      user_id uuid,
      operation text not null,
      error_code text,
      error_message text,
      context jsonb not null default '{}'::jsonb,
      occurred_at timestamptz not null default now(),
      resolved_at timestamptz
    );
    create index user_sync_failures_unresolved_idx on public.user_sync_failures (occurred_at) where resolved_at is null;

    create table public.cleanup_audit_log (
      id bigint generated always as identity primary key,
      action text not null,
      affected_count integer not null default 0,
      details jsonb not null default '{}'::jsonb,
      performed_by text,
      performed_at timestamptz not null default now()
    );

    create view public.profiles with (security_invoker = true) as
      select u.id, u.username, u.display_name, u.avatar_url,
             psn.sync_status as psn_sync_status, psn.sync_progress as psn_sync_progress, psn.last_synced_at as psn_last_synced_at,
             xbox.sync_status as xbox_sync_status, xbox.sync_progress as xbox_sync_progress, xbox.last_synced_at as xbox_last_synced_at,
             steam.sync_status as steam_sync_status, steam.sync_progress as steam_sync_progress, steam.last_synced_at as steam_last_synced_at,
             u.created_at, u.updated_at
        from public.users u
        left join public.platform_accounts psn on psn.user_id = u.id and psn.platform_id = 1
        left join public.platform_accounts xbox on xbox.user_id = u.id and xbox.platform_id = 2
        left join public.platform_accounts steam on steam.user_id = u.id and steam.platform_id = 3;
  `.execute(db);

  for (const table of [
    'users', 'platform_accounts', 'games', 'achievements', 'user_progress', 'user_achievements',
    'sync_logs', 'trophy_help_requests', 'flex_room_data',
  ]) {
    await sql`create trigger set_updated_at before update on ${sql.table(`public.${table}`)}
      for each row execute function public.set_updated_at()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop view if exists public.profiles;
    drop view if exists public.psn_sync_logs, public.xbox_sync_logs, public.steam_sync_logs;
    drop table if exists public.cleanup_audit_log, public.user_sync_failures, public.user_sync_monitoring_log,
      public.deleted_records, public.flex_room_data, public.trophy_help_requests, public.sync_logs,
      public.user_achievements, public.user_progress, public.achievements, public.games,
      public.platform_accounts, public.users, public.platforms;
    drop function if exists public.set_updated_at();

    do $$
    begin
      if obj_description('auth.uid()'::regprocedure, 'pg_proc') = 'achievement-sync shim of Supabase auth.uid()' then
        drop function auth.uid();
      end if;
      if to_regprocedure('auth.role()') is not null and obj_description('auth.role()'::regprocedure, 'pg_proc') = 'achievement-sync shim of Supabase auth.role()' then
        drop function auth.role();
      end if;
      if to_regprocedure('auth.jwt()') is not null and obj_description('auth.jwt()'::regprocedure, 'pg_proc') = 'achievement-sync shim of Supabase auth.jwt()' then
        drop function auth.jwt();
      end if;
      -- On Supabase the index is ours but the table is not: drop just the index.
      if to_regclass('auth.users_created_at_idx') is not null
         and obj_description('auth.users_created_at_idx'::regclass, 'pg_class') = 'achievement-sync index for the ghost-user check' then
        drop index auth.users_created_at_idx;
      end if;
      if to_regclass('auth.users') is not null and obj_description('auth.users'::regclass, 'pg_class') = 'achievement-sync shim of Supabase auth.users' then
        drop table auth.users;
      end if;
      if not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'auth')
         and not exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'auth') then
        drop schema auth;
      end if;
    end $$;
  `.execute(db);
}
