import { sql, type Kysely } from 'kysely';

/**
 * The user-sync quality checks (ghost users, orphaned profiles, parity, auth triggers, sync health),
 * their log, the ghost-user backfill and the monitor's alert log. Everything is callable from psql and
 * the Supabase SQL editor (the runbook uses it) as well as by services/monitor, which adds the checks
 * that need Redis (stuck syncs, queue health) to the same result set and log row.
 *
 * A check row is (check_name, status pass|warn|fail, severity critical|warning|info, observed_value,
 * details jsonb). The overall status of a run (quality_overall_status): `critical` when a check of
 * severity critical fails; `warning` when any other check of severity critical or warning is not
 * `pass`; otherwise `healthy` (an `info` check, such as expiring refresh tokens, is reported only).
 *
 * Full and incremental runs. `run_user_sync_quality_check()` measures everything: one parallel pass
 * over auth.users ⋈ public.users (`user_sync_findings`) yields every count (total, soft-deleted, ghosts,
 * orphans) and up to 1,000 ghosts and orphans, so the full run costs about one anti-join with or
 * without anything to list.
 * `run_user_sync_quality_check(since)` is the incremental run: it looks at auth users created or
 * soft-deleted since `since`, at syncs finished since `since`, and re-verifies by primary key what
 * the previous run listed (its ids, up to 1,000 per check), so a problem found by a full run stays
 * reported until it is really gone instead of vanishing from the next incremental
 * run. A check whose previous list was truncated, and the count parity once it failed, are measured
 * in full again; while everything passes the counts are carried from the latest full run
 * (`details.measured = false`). What the incremental run cannot see (a public.users row deleted by
 * hand, a user_achievements row deleted behind a progress row) the next full run finds.
 *
 * Indexes: the incremental run needs auth.users(created_at) (0001 creates it where it may),
 * auth.users(deleted_at) for recent soft-deletes, sync_logs(finished_at) and
 * platform_accounts(refresh_expires_at), added here. On Supabase, auth.users belongs to
 * supabase_auth_admin and the migrating role may not index it: both auth indexes are then skipped
 * (a notice) and the incremental run scans auth.users instead — correct, only slower (GoTrue's own
 * indexes cover id, email, phone and tokens, not created_at or deleted_at).
 */

/** The parallel-safe uuid collector user_sync_findings uses (an aggregate and its two support functions): nobody else's to call. */
const FIRST_UUIDS_PARTS = ['public.first_uuids(uuid)', 'public.first_uuids_step(uuid[], uuid)', 'public.first_uuids_combine(uuid[], uuid[])'] as const;

/** Every function this migration creates, with its argument types (for grants and `down`). */
const FUNCTIONS = [
  'public.auth_trigger_status()',
  'public.check_ghost_users(timestamptz)',
  'public.check_orphaned_profiles(timestamptz)',
  'public.check_progress_parity(timestamptz)',
  'public.get_user_sync_stats()',
  'public.user_sync_findings()',
  'public.quality_overall_status(jsonb)',
  'public.quality_check_window_start()',
  'public.run_user_sync_quality_check(timestamptz)',
  'public.record_user_sync_metrics(jsonb, text, timestamptz)',
  'public.get_latest_sync_status()',
  'public.get_sync_status_history(integer)',
  'public.backfill_ghost_users(boolean, text, uuid[])',
  'public.cleanup_old_monitoring_logs()',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Same pattern as 0001's created_at index: ours only where we may index auth.users, marked so
    -- down drops only what we made.
    do $$
    begin
      if to_regclass('auth.users_deleted_at_idx') is null then
        create index users_deleted_at_idx on auth.users (deleted_at) where deleted_at is not null;
        comment on index auth.users_deleted_at_idx is 'achievement-sync index for the orphaned-profile check';
      end if;
    exception when insufficient_privilege then
      raise notice 'no privilege to index auth.users(deleted_at); skipped';
    end $$;

    -- Syncs finished since the last run (progress parity) and in the last 24 h (failure rate).
    create index sync_logs_finished_at_idx on public.sync_logs (finished_at) where finished_at is not null;
    -- Refresh tokens about to expire.
    create index platform_accounts_refresh_expires_idx on public.platform_accounts (refresh_expires_at) where refresh_expires_at is not null;

    -- What the monitor told operators, and when: the alert state shared by every monitor replica and
    -- kept across restarts (the latest alert / recovery / reminder row is "what operators know").
    create table public.monitor_alert_log (
      id bigint generated always as identity primary key,
      sent_at timestamptz not null default now(),
      kind text not null check (kind in ('alert', 'recovery', 'reminder', 'suppressed')),
      status text not null check (status in ('healthy', 'warning', 'critical')),
      previous_status text check (previous_status in ('healthy', 'warning', 'critical')),
      monitoring_log_id bigint references public.user_sync_monitoring_log (id) on delete set null,
      summary text not null,
      deliveries jsonb not null default '{}'::jsonb
    );
    create index monitor_alert_log_sent_at_idx on public.monitor_alert_log (sent_at desc);
    create index monitor_alert_log_monitoring_log_idx on public.monitor_alert_log (monitoring_log_id);
    alter table public.monitor_alert_log enable row level security;
    revoke all on public.monitor_alert_log from anon, authenticated;
    grant all on public.monitor_alert_log to service_role;

    -- The two auth triggers as the checks and the backfill pre-flight see them. Enabled means it fires
    -- in a normal session: 'O' (origin/local) or 'A' (always); 'R' fires on replicas only, 'D' never.
    create function public.auth_trigger_status()
    returns table (trigger_name text, present boolean, enabled boolean, function_name text)
    language sql stable security definer set search_path = '' as $fn$
      select e.name, t.oid is not null, coalesce(t.tgenabled in ('O', 'A'), false), t.tgfoid::regproc::text
        from (values ('on_auth_user_created'), ('on_auth_user_updated')) as e(name)
        left join pg_catalog.pg_trigger t
          on t.tgname = e.name and t.tgrelid = to_regclass('auth.users') and not t.tgisinternal
       order by e.name
    $fn$;

    -- Auth users who can sign in (not soft-deleted) but have no public.users row. Since a time: only
    -- signups from then on (index range on auth.users(created_at)). Separate statements, not
    -- "p_since is null or …", so each branch gets a plan that can use its index.
    create function public.check_ghost_users(p_since timestamptz default null)
    returns table (user_id uuid, email text, created_at timestamptz)
    language plpgsql stable security definer set search_path = '' as $fn$
    begin
      if p_since is null then
        return query
          select a.id, a.email::text, a.created_at from auth.users a
           where a.deleted_at is null and not exists (select 1 from public.users u where u.id = a.id)
           order by a.created_at, a.id;
      else
        return query
          select a.id, a.email::text, a.created_at from auth.users a
           where a.created_at >= p_since and a.deleted_at is null
             and not exists (select 1 from public.users u where u.id = a.id)
           order by a.created_at, a.id;
      end if;
    end $fn$;

    -- public.users.id cascades from auth.users, so a profile can only be orphaned by a soft delete:
    -- its auth user has deleted_at set and can no longer sign in.
    create function public.check_orphaned_profiles(p_since timestamptz default null)
    returns table (user_id uuid, username text, deleted_at timestamptz)
    language plpgsql stable security definer set search_path = '' as $fn$
    begin
      if p_since is null then
        return query
          select u.id, u.username, a.deleted_at from auth.users a join public.users u on u.id = a.id
           where a.deleted_at is not null
           order by a.deleted_at, u.id;
      else
        return query
          select u.id, u.username, a.deleted_at from auth.users a join public.users u on u.id = a.id
           where a.deleted_at >= p_since
           order by a.deleted_at, u.id;
      end if;
    end $fn$;

    -- user_progress rows whose achievements_earned differs from the count of the user's
    -- user_achievements rows for that game, and unlocks without a progress row (earned = null).
    -- Full: both tables merged in primary-key order. Since a time: only the users and platforms of
    -- syncs finished from then on, probed by primary-key prefix.
    create function public.check_progress_parity(p_since timestamptz default null)
    returns table (user_id uuid, platform_id smallint, platform_game_id text, achievements_earned integer, stored_achievements bigint)
    language plpgsql stable security definer set search_path = '' as $fn$
    begin
      if p_since is null then
        return query
          select coalesce(p.user_id, c.user_id), coalesce(p.platform_id, c.platform_id), coalesce(p.platform_game_id, c.platform_game_id),
                 p.achievements_earned, coalesce(c.n, 0)
            from public.user_progress p
            full join (select ua.user_id, ua.platform_id, ua.platform_game_id, count(*) as n
                         from public.user_achievements ua
                        group by ua.user_id, ua.platform_id, ua.platform_game_id) c
              on c.user_id = p.user_id and c.platform_id = p.platform_id and c.platform_game_id = p.platform_game_id
           where coalesce(p.achievements_earned, -1) <> coalesce(c.n, 0)
           order by 1, 2, 3;
      else
        return query
          with touched as (
            select distinct s.user_id, s.platform_id from public.sync_logs s where s.finished_at >= p_since
          )
          select b.user_id, b.platform_id, b.platform_game_id, b.achievements_earned, b.n
            from (
              select p.user_id, p.platform_id, p.platform_game_id, p.achievements_earned, c.n
                from touched t
                join public.user_progress p on p.user_id = t.user_id and p.platform_id = t.platform_id
                cross join lateral (
                  select count(*) as n from public.user_achievements ua
                   where ua.user_id = p.user_id and ua.platform_id = p.platform_id and ua.platform_game_id = p.platform_game_id) c
               where p.achievements_earned <> c.n
              union all
              select ua.user_id, ua.platform_id, ua.platform_game_id, null::integer, count(*)
                from touched t
                join public.user_achievements ua on ua.user_id = t.user_id and ua.platform_id = t.platform_id
               where not exists (select 1 from public.user_progress p
                                  where p.user_id = ua.user_id and p.platform_id = ua.platform_id and p.platform_game_id = ua.platform_game_id)
               group by ua.user_id, ua.platform_id, ua.platform_game_id) b
           order by 1, 2, 3;
      end if;
    end $fn$;

    -- Every count in one pass over auth.users ⋈ public.users. The join sees every profile: users.id
    -- references auth.users (on delete cascade), so there is no profile without an auth user.
    -- Up to 1,000 uuids (any 1,000 when there are more): an aggregate Postgres 15 can run in parallel
    -- workers (a combine function), unlike array_agg. Called only for the rows a FILTER lets through.
    create function public.first_uuids_step(p_ids uuid[], p_id uuid) returns uuid[]
    language sql immutable parallel safe set search_path = '' as $fn$
      select case when cardinality(p_ids) >= 1000 then p_ids else p_ids || p_id end
    $fn$;
    create function public.first_uuids_combine(p_a uuid[], p_b uuid[]) returns uuid[]
    language sql immutable parallel safe set search_path = '' as $fn$
      select case when cardinality(p_a) >= 1000 then p_a else (p_a || p_b)[1:1000] end
    $fn$;
    create aggregate public.first_uuids(uuid) (
      sfunc = public.first_uuids_step, stype = uuid[], combinefunc = public.first_uuids_combine, parallel = safe, initcond = '{}'
    );

    -- The full run's pass over the users: every count, and the ghosts and orphans themselves (up to
    -- 1,000 each), in one parallel scan of auth.users ⟕ public.users. A SQL function, so that the
    -- statement gets a parallel plan (called from PL/pgSQL's SELECT INTO it ran in one process).
    create function public.user_sync_findings()
    returns table (total_auth_users bigint, active_auth_users bigint, deleted_auth_users bigint,
                   total_public_users bigint, ghost_users bigint, orphaned_profiles bigint,
                   ghost_ids uuid[], orphan_ids uuid[])
    language sql stable security definer set search_path = '' as $fn$
      select count(*),
             count(*) filter (where a.deleted_at is null),
             count(*) filter (where a.deleted_at is not null),
             count(u.id),
             count(*) filter (where a.deleted_at is null and u.id is null),
             count(*) filter (where a.deleted_at is not null and u.id is not null),
             public.first_uuids(a.id) filter (where a.deleted_at is null and u.id is null),
             public.first_uuids(a.id) filter (where a.deleted_at is not null and u.id is not null)
        from auth.users a left join public.users u on u.id = a.id
    $fn$;

    create function public.get_user_sync_stats()
    returns table (total_auth_users bigint, active_auth_users bigint, deleted_auth_users bigint,
                   total_public_users bigint, ghost_users bigint, orphaned_profiles bigint)
    language sql stable security definer set search_path = '' as $fn$
      select count(*),
             count(*) filter (where a.deleted_at is null),
             count(*) filter (where a.deleted_at is not null),
             count(u.id),
             count(*) filter (where a.deleted_at is null and u.id is null),
             count(*) filter (where a.deleted_at is not null and u.id is not null)
        from auth.users a left join public.users u on u.id = a.id
    $fn$;

    create function public.quality_overall_status(p_checks jsonb) returns text
    language sql immutable set search_path = '' as $fn$
      select case
               when exists (select 1 from jsonb_array_elements(p_checks) c
                             where c ->> 'status' = 'fail' and c ->> 'severity' = 'critical') then 'critical'
               when exists (select 1 from jsonb_array_elements(p_checks) c
                             where c ->> 'status' in ('warn', 'fail') and c ->> 'severity' in ('critical', 'warning')) then 'warning'
               else 'healthy'
             end
    $fn$;

    -- Where the next incremental run starts looking: the latest run's start, less five minutes for
    -- signups and syncs whose transactions began before that run and committed after its snapshot.
    -- Null when nothing ran yet (the caller then runs in full).
    create function public.quality_check_window_start() returns timestamptz
    language sql stable security definer set search_path = '' as $fn$
      select max(l.run_at) - interval '5 minutes' from public.user_sync_monitoring_log l
    $fn$;

    create function public.run_user_sync_quality_check(p_since timestamptz default null)
    returns table (check_name text, status text, severity text, observed_value numeric, details jsonb)
    language plpgsql volatile security definer set search_path = '' as $fn$
    #variable_conflict use_column
    declare
      c_list_cap constant integer := 1000;
      c_failure_window constant interval := interval '24 hours';
      c_failure_min_runs constant integer := 10;
      c_failure_threshold constant numeric := 0.25;
      c_expiry_window constant interval := interval '7 days';
      v_since timestamptz := p_since;
      v_prev public.user_sync_monitoring_log%rowtype;
      v_prev_check jsonb;
      v_scope text;
      v_have_stats boolean := false;
      v_auth_users bigint;
      v_active_auth_users bigint;
      v_deleted_auth_users bigint;
      v_public_users bigint;
      v_ghost_users bigint;
      v_orphaned_profiles bigint;
      v_list jsonb;
      v_ghost_ids jsonb;
      v_orphan_ids jsonb;
      v_ghost_found uuid[];
      v_orphan_found uuid[];
      v_count bigint;
      v_total_auth bigint;
      v_total_public bigint;
      v_parity_details jsonb;
      v_row record;
      v_details jsonb;
      v_value numeric;
    begin
      select * into v_prev from public.user_sync_monitoring_log l order by l.run_at desc, l.id desc limit 1;
      -- Nothing to be incremental against: measure everything.
      if v_prev.id is null then
        v_since := null;
      end if;

      -- Full runs count, and collect the ghosts and orphans, in one parallel pass over auth.users ⟕
      -- public.users (user_sync_findings). Up to 1,000 of each come back, ordered here by primary-key
      -- lookups; past 1,000 the check lists the first 1,000 with its own ordered query below (a second
      -- pass, only when that many are broken). So a full run costs about one anti-join.
      if v_since is null then
        select f.total_auth_users, f.active_auth_users, f.deleted_auth_users, f.total_public_users, f.ghost_users, f.orphaned_profiles,
               f.ghost_ids, f.orphan_ids
          into v_auth_users, v_active_auth_users, v_deleted_auth_users, v_public_users, v_ghost_users, v_orphaned_profiles,
               v_ghost_found, v_orphan_found
          from public.user_sync_findings() f;
        v_have_stats := true;
        if v_ghost_users <= c_list_cap then
          v_ghost_ids := coalesce((select jsonb_agg(a.id order by a.created_at, a.id) from auth.users a where a.id = any(v_ghost_found)), '[]'::jsonb);
        end if;
        if v_orphaned_profiles <= c_list_cap then
          v_orphan_ids := coalesce((select jsonb_agg(a.id order by a.deleted_at, a.id) from auth.users a where a.id = any(v_orphan_found)), '[]'::jsonb);
        end if;
      end if;

      -- ghost_users -------------------------------------------------------------------------------
      v_prev_check := v_prev.checks -> 'ghost_users';
      v_scope := case
        when v_since is null then 'full'
        when coalesce(v_prev_check ->> 'status', 'pass') = 'pass' then 'window'
        when coalesce((v_prev_check -> 'details' ->> 'truncated')::boolean, true) then 'full'
        else 'window+recheck' end;
      if v_scope = 'full' then
        v_count := case when v_have_stats then v_ghost_users else (select count(*) from public.check_ghost_users() g) end;
        v_list := case when v_ghost_ids is not null then v_ghost_ids when v_count = 0 then '[]'::jsonb else
          (select jsonb_agg(g.user_id order by g.created_at, g.user_id)
             from (select g.user_id, g.created_at from public.check_ghost_users() g limit c_list_cap) g) end;
      else
        select count(*), coalesce(jsonb_agg(g.user_id order by g.created_at, g.user_id) filter (where g.rn <= c_list_cap), '[]'::jsonb)
          into v_count, v_list
          from (select g.*, row_number() over (order by g.created_at, g.user_id) as rn
                  from (select w.user_id, w.created_at from public.check_ghost_users(v_since) w
                        union
                        select a.id, a.created_at from auth.users a
                         where v_scope = 'window+recheck'
                           and a.id = any(array(select jsonb_array_elements_text(v_prev_check -> 'details' -> 'ids'))::uuid[])
                           and a.deleted_at is null
                           and not exists (select 1 from public.users u where u.id = a.id)) g) g;
      end if;
      check_name := 'ghost_users'; severity := 'critical'; observed_value := v_count;
      status := case when v_count > 0 then 'fail' else 'pass' end;
      details := jsonb_build_object('scope', v_scope, 'since', v_since, 'ids', v_list, 'truncated', v_count > c_list_cap);
      return next;

      -- orphaned_profiles -------------------------------------------------------------------------
      v_prev_check := v_prev.checks -> 'orphaned_profiles';
      v_scope := case
        when v_since is null then 'full'
        when coalesce(v_prev_check ->> 'status', 'pass') = 'pass' then 'window'
        when coalesce((v_prev_check -> 'details' ->> 'truncated')::boolean, true) then 'full'
        else 'window+recheck' end;
      if v_scope = 'full' then
        v_count := case when v_have_stats then v_orphaned_profiles else (select count(*) from public.check_orphaned_profiles() o) end;
        v_list := case when v_orphan_ids is not null then v_orphan_ids when v_count = 0 then '[]'::jsonb else
          (select jsonb_agg(o.user_id order by o.deleted_at, o.user_id)
             from (select o.user_id, o.deleted_at from public.check_orphaned_profiles() o limit c_list_cap) o) end;
      else
        select count(*), coalesce(jsonb_agg(o.user_id order by o.deleted_at, o.user_id) filter (where o.rn <= c_list_cap), '[]'::jsonb)
          into v_count, v_list
          from (select o.*, row_number() over (order by o.deleted_at, o.user_id) as rn
                  from (select w.user_id, w.deleted_at from public.check_orphaned_profiles(v_since) w
                        union
                        select u.id, a.deleted_at from auth.users a join public.users u on u.id = a.id
                         where v_scope = 'window+recheck'
                           and a.id = any(array(select jsonb_array_elements_text(v_prev_check -> 'details' -> 'ids'))::uuid[])
                           and a.deleted_at is not null) o) o;
      end if;
      check_name := 'orphaned_profiles'; severity := 'warning'; observed_value := v_count;
      status := case when v_count > 0 then 'warn' else 'pass' end;
      details := jsonb_build_object('scope', v_scope, 'since', v_since, 'ids', v_list, 'truncated', v_count > c_list_cap);
      return next;

      -- auth_users_parity: every auth user (soft-deleted ones too) has a profile ---------------------
      v_prev_check := v_prev.checks -> 'auth_users_parity';
      if not v_have_stats and (coalesce(v_prev_check ->> 'status', 'fail') <> 'pass'
                               or v_prev_check -> 'details' ->> 'total_auth_users' is null) then
        select * into v_auth_users, v_active_auth_users, v_deleted_auth_users, v_public_users, v_ghost_users, v_orphaned_profiles
          from public.get_user_sync_stats();
        v_have_stats := true;
      end if;
      if v_have_stats then
        v_total_auth := v_auth_users;
        v_total_public := v_public_users;
        v_parity_details := jsonb_build_object('measured', true, 'as_of', now(),
          'total_auth_users', v_auth_users, 'active_auth_users', v_active_auth_users,
          'deleted_auth_users', v_deleted_auth_users, 'total_public_users', v_public_users);
      else
        -- Still passing at the latest full count: carried, not re-counted (a full count is a full scan).
        v_total_auth := (v_prev_check -> 'details' ->> 'total_auth_users')::bigint;
        v_total_public := (v_prev_check -> 'details' ->> 'total_public_users')::bigint;
        v_parity_details := (v_prev_check -> 'details') || jsonb_build_object('measured', false);
      end if;
      check_name := 'auth_users_parity'; severity := 'critical'; observed_value := v_total_auth - v_total_public;
      status := case when v_total_auth = v_total_public then 'pass' else 'fail' end;
      details := v_parity_details;
      return next;

      -- auth_triggers -------------------------------------------------------------------------------
      select count(*) filter (where s.present and s.enabled),
             jsonb_agg(jsonb_build_object('name', s.trigger_name, 'present', s.present, 'enabled', s.enabled, 'function', s.function_name)
                       order by s.trigger_name)
        into v_count, v_details
        from public.auth_trigger_status() s;
      check_name := 'auth_triggers'; severity := 'critical'; observed_value := v_count;
      status := case when v_count = 2 then 'pass' else 'fail' end;
      details := jsonb_build_object('expected', 2, 'triggers', v_details);
      return next;

      -- unresolved_sync_failures: what the auth triggers could not do and nobody resolved yet ----------
      -- (few rows: the partial index on occurred_at holds the unresolved ones only)
      select coalesce(sum(o.n), 0), coalesce(sum(o.recent), 0), coalesce(jsonb_object_agg(o.operation, o.n), '{}'::jsonb)
        into v_count, v_value, v_details
        from (select f.operation, count(*) as n,
                     count(*) filter (where v_prev.run_at is null or f.occurred_at >= v_prev.run_at) as recent
                from public.user_sync_failures f where f.resolved_at is null
               group by f.operation) o;
      check_name := 'unresolved_sync_failures'; severity := 'warning'; observed_value := v_count;
      status := case when v_count > 0 then 'warn' else 'pass' end;
      details := jsonb_build_object('new_since_last_run', v_value, 'by_operation', v_details,
        'latest', coalesce((select jsonb_agg(jsonb_build_object('id', f.id, 'user_id', f.user_id, 'operation', f.operation,
                                  'error_code', f.error_code, 'error_message', left(f.error_message, 200), 'occurred_at', f.occurred_at)
                                  order by f.occurred_at desc, f.id desc)
                             from (select * from public.user_sync_failures f where f.resolved_at is null
                                    order by f.occurred_at desc, f.id desc limit 20) f), '[]'::jsonb));
      return next;

      -- progress_parity -----------------------------------------------------------------------------
      v_prev_check := v_prev.checks -> 'progress_parity';
      v_scope := case
        when v_since is null then 'full'
        when coalesce(v_prev_check ->> 'status', 'pass') = 'pass' then 'window'
        when coalesce((v_prev_check -> 'details' ->> 'truncated')::boolean, true) then 'full'
        else 'window+recheck' end;
      select count(*),
             coalesce(jsonb_agg(jsonb_build_object('user_id', b.user_id, 'platform_id', b.platform_id, 'platform_game_id', b.platform_game_id,
                                                   'achievements_earned', b.achievements_earned, 'stored_achievements', b.stored_achievements)
                                order by b.user_id, b.platform_id, b.platform_game_id) filter (where b.rn <= c_list_cap), '[]'::jsonb)
        into v_count, v_list
        from (select b.*, row_number() over (order by b.user_id, b.platform_id, b.platform_game_id) as rn
                from (select * from public.check_progress_parity(case when v_scope = 'full' then null else v_since end)
                      union
                      -- the previous run's breaches, re-counted by primary key
                      select k.user_id, k.platform_id, k.platform_game_id, p.achievements_earned, c.n
                        from jsonb_to_recordset(case when v_scope = 'window+recheck' then v_prev_check -> 'details' -> 'ids' else '[]'::jsonb end)
                               as k(user_id uuid, platform_id smallint, platform_game_id text)
                        left join public.user_progress p
                          on p.user_id = k.user_id and p.platform_id = k.platform_id and p.platform_game_id = k.platform_game_id
                        cross join lateral (
                          select count(*) as n from public.user_achievements ua
                           where ua.user_id = k.user_id and ua.platform_id = k.platform_id and ua.platform_game_id = k.platform_game_id) c
                       where coalesce(p.achievements_earned, -1) <> c.n
                         and (p.user_id is not null or c.n > 0)) b) b;
      check_name := 'progress_parity'; severity := 'critical'; observed_value := v_count;
      status := case when v_count > 0 then 'fail' else 'pass' end;
      details := jsonb_build_object('scope', v_scope, 'since', case when v_scope = 'full' then null else v_since end,
                                    'ids', v_list, 'truncated', v_count > c_list_cap);
      return next;

      -- sync_failure_rate: per platform over 24 h, counting failures the system causes (the user's own
      -- — revoked links, private profiles, accounts another user proved — are listed, not rated).
      select coalesce(max(r.rate) filter (where r.finished >= c_failure_min_runs), 0),
             coalesce(jsonb_object_agg(r.code, jsonb_build_object('finished', r.finished, 'failed', r.failed,
                        'system_failed', r.system_failed, 'rate', r.rate, 'by_error_code', r.by_code)), '{}'::jsonb)
        into v_value, v_details
        from (select pl.code, sum(g.n) as finished,
                     coalesce(sum(g.n) filter (where g.status = 'failed'), 0) as failed,
                     coalesce(sum(g.n) filter (where g.status = 'failed' and not g.user_caused), 0) as system_failed,
                     round(coalesce(sum(g.n) filter (where g.status = 'failed' and not g.user_caused), 0) / sum(g.n), 4) as rate,
                     coalesce(jsonb_object_agg(g.error_code, g.n) filter (where g.status = 'failed'), '{}'::jsonb) as by_code
                from (select s.platform_id, s.status, coalesce(s.error_code, 'internal_error') as error_code,
                             coalesce(s.error_code, '') in ('account_not_linked', 'invalid_credentials', 'profile_private',
                                                            'account_not_found', 'suspicious_list', 'ownership_claimed')
                               or coalesce(s.error_code, '') like 'xbox\\_%' as user_caused,
                             count(*) as n
                        from public.sync_logs s
                       where s.finished_at >= now() - c_failure_window
                       group by 1, 2, 3, 4) g
                join public.platforms pl on pl.id = g.platform_id
               group by pl.code) r;
      check_name := 'sync_failure_rate'; severity := 'warning'; observed_value := v_value;
      status := case when v_value >= c_failure_threshold then 'warn' else 'pass' end;
      details := jsonb_build_object('window_hours', 24, 'min_runs', c_failure_min_runs, 'threshold', c_failure_threshold, 'platforms', v_details);
      return next;

      -- expiring_refresh_tokens: linked accounts whose refresh token lapses within 7 days, and those
      -- that lapsed in the last 30 (older ones are old news: their syncs have failed since). Counted
      -- over the index range, listed (100) by a separate bounded query: at 10M users a week of PSN
      -- expiries alone is a large set.
      select count(*) filter (where pa.refresh_expires_at >= now()), count(*) filter (where pa.refresh_expires_at < now())
        into v_count, v_value
        from public.platform_accounts pa
       where pa.refresh_expires_at >= now() - interval '30 days' and pa.refresh_expires_at < now() + c_expiry_window;
      select coalesce(jsonb_agg(jsonb_build_object('user_id', e.user_id, 'platform', e.code, 'refresh_expires_at', e.refresh_expires_at)
                                order by e.refresh_expires_at, e.user_id, e.code), '[]'::jsonb)
        into v_list
        from (select pa.user_id, pl.code, pa.refresh_expires_at
                from public.platform_accounts pa join public.platforms pl on pl.id = pa.platform_id
               where pa.refresh_expires_at >= now() and pa.refresh_expires_at < now() + c_expiry_window
               order by pa.refresh_expires_at, pa.user_id, pa.platform_id
               limit 100) e;
      check_name := 'expiring_refresh_tokens'; severity := 'info'; observed_value := v_count;
      status := case when v_count > 0 then 'warn' else 'pass' end;
      details := jsonb_build_object('within_days', 7, 'expired_last_30_days', v_value, 'accounts', v_list, 'truncated', v_count > 100);
      return next;
    end $fn$;

    -- Writes one monitoring-log row and returns the run's overall status. Without p_checks it runs
    -- the SQL checks itself (full, or incremental from quality_check_window_start()); the monitor
    -- passes the SQL checks merged with its own (stuck syncs, queue health) and when the run began.
    create function public.record_user_sync_metrics(
      p_checks jsonb default null, p_check_type text default 'full', p_started_at timestamptz default null
    ) returns text
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_started constant timestamptz := coalesce(p_started_at, clock_timestamp());
      v_checks jsonb := p_checks;
      v_status text;
      v_by_name jsonb;
    begin
      if p_check_type is null or p_check_type not in ('full', 'incremental') then
        raise exception 'check type must be full or incremental, not %', p_check_type using errcode = 'invalid_parameter_value';
      end if;
      if v_checks is null then
        select jsonb_agg(to_jsonb(r)) into v_checks
          from public.run_user_sync_quality_check(case when p_check_type = 'incremental' then public.quality_check_window_start() end) r;
      end if;
      if jsonb_typeof(v_checks) <> 'array' or jsonb_array_length(v_checks) = 0 or exists (
        select 1 from jsonb_array_elements(v_checks) c
         where jsonb_typeof(c) <> 'object'
            or coalesce(c ->> 'check_name', '') !~ '^[a-z0-9_]{1,64}$'
            or coalesce(c ->> 'status', '') not in ('pass', 'warn', 'fail')
            or coalesce(c ->> 'severity', '') not in ('critical', 'warning', 'info')
            or jsonb_typeof(c -> 'observed_value') not in ('number', 'null')
            or jsonb_typeof(coalesce(c -> 'details', '{}'::jsonb)) <> 'object') then
        raise exception 'checks must be a non-empty array of {check_name, status, severity, observed_value, details}'
          using errcode = 'invalid_parameter_value';
      end if;
      if (select count(distinct c ->> 'check_name') <> count(*) from jsonb_array_elements(v_checks) c) then
        raise exception 'checks must not name a check twice' using errcode = 'invalid_parameter_value';
      end if;
      v_status := public.quality_overall_status(v_checks);
      select jsonb_object_agg(c ->> 'check_name', c - 'check_name') into v_by_name from jsonb_array_elements(v_checks) c;
      insert into public.user_sync_monitoring_log
        (run_at, check_type, status, checks, ghost_users, orphaned_profiles, total_auth_users, total_public_users, duration_ms)
      values (v_started, p_check_type, v_status, v_by_name,
              coalesce((v_by_name -> 'ghost_users' ->> 'observed_value')::numeric, 0),
              coalesce((v_by_name -> 'orphaned_profiles' ->> 'observed_value')::numeric, 0),
              coalesce((v_by_name -> 'auth_users_parity' -> 'details' ->> 'total_auth_users')::numeric, 0),
              coalesce((v_by_name -> 'auth_users_parity' -> 'details' ->> 'total_public_users')::numeric, 0),
              greatest(0, round(extract(epoch from clock_timestamp() - v_started) * 1000)));
      return v_status;
    end $fn$;

    create function public.get_latest_sync_status()
    returns table (id bigint, run_at timestamptz, check_type text, status text, checks jsonb, ghost_users integer,
                   orphaned_profiles integer, total_auth_users integer, total_public_users integer, duration_ms integer,
                   last_full_run_at timestamptz)
    language sql stable security definer set search_path = '' as $fn$
      select l.id, l.run_at, l.check_type, l.status, l.checks, l.ghost_users, l.orphaned_profiles, l.total_auth_users,
             l.total_public_users, l.duration_ms,
             (select max(f.run_at) from public.user_sync_monitoring_log f where f.check_type = 'full')
        from public.user_sync_monitoring_log l
       order by l.run_at desc, l.id desc
       limit 1
    $fn$;

    -- One row per run of the last "days" days, oldest first, with the names of its checks that did not pass.
    create function public.get_sync_status_history(days integer default 30)
    returns table (id bigint, run_at timestamptz, check_type text, status text, ghost_users integer, orphaned_profiles integer,
                   total_auth_users integer, total_public_users integer, duration_ms integer, failing_checks text[])
    language plpgsql stable security definer set search_path = '' as $fn$
    begin
      if days is null or days < 1 or days > 366 then
        raise exception 'days must be between 1 and 366, not %', days using errcode = 'invalid_parameter_value';
      end if;
      return query
        select l.id, l.run_at, l.check_type, l.status, l.ghost_users, l.orphaned_profiles, l.total_auth_users,
               l.total_public_users, l.duration_ms,
               array(select c.key from jsonb_each(l.checks) c where c.value ->> 'status' <> 'pass' order by c.key)
          from public.user_sync_monitoring_log l
         where l.run_at >= now() - make_interval(days => get_sync_status_history.days)
         order by l.run_at, l.id;
    end $fn$;

    -- Creates the missing public.users rows of ghost users with the trigger's mapping (created_at
    -- copied from auth), one exception block per user so one bad row never costs the others. A dry
    -- run lists and writes nothing. A real run is audited in cleanup_audit_log (also when it found
    -- nothing: someone ran it) and marks the 'insert' failures of users who now have a profile as
    -- resolved; running it again changes nothing. Pre-flight: a missing or disabled
    -- on_auth_user_created is raised as a WARNING (and kept in the audit row) — new ghosts will keep
    -- appearing until it is fixed. user_ids limits the run to those users (the monitor repairs what
    -- its check found without a second full scan).
    create function public.backfill_ghost_users(dry_run boolean default true, performed_by text default null, user_ids uuid[] default null)
    returns table (user_id uuid, email text, auth_created_at timestamptz, action text)
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_by constant text := coalesce(nullif(btrim(backfill_ghost_users.performed_by), ''), session_user::text);
      v_warnings text[] := '{}';
      v_trigger record;
      v_ghost record;
      v_found integer := 0;
      v_created uuid[] := '{}';
      v_failed jsonb := '[]'::jsonb;
      v_resolved integer := 0;
      v_warning text;
    begin
      if dry_run is null then
        raise exception 'dry_run must be true or false' using errcode = 'invalid_parameter_value';
      end if;
      for v_trigger in select * from public.auth_trigger_status() s where s.trigger_name = 'on_auth_user_created' loop
        if not v_trigger.present then
          v_warnings := v_warnings || 'on_auth_user_created is missing on auth.users: new signups will keep creating ghost users (run npm run db:migrate)'::text;
        elsif not v_trigger.enabled then
          v_warnings := v_warnings || 'on_auth_user_created is disabled: new signups will keep creating ghost users (alter table auth.users enable trigger on_auth_user_created)'::text;
        end if;
      end loop;
      foreach v_warning in array v_warnings loop
        raise warning '%', v_warning;
      end loop;

      for v_ghost in
        select a.id, a.email::text as email, a.email_confirmed_at, a.raw_user_meta_data, a.created_at
          from auth.users a
         where backfill_ghost_users.user_ids is null and a.deleted_at is null
           and not exists (select 1 from public.users u where u.id = a.id)
        union all
        select a.id, a.email::text, a.email_confirmed_at, a.raw_user_meta_data, a.created_at
          from auth.users a
         where backfill_ghost_users.user_ids is not null and a.id = any(backfill_ghost_users.user_ids) and a.deleted_at is null
           and not exists (select 1 from public.users u where u.id = a.id)
        order by 5, 1
      loop
        v_found := v_found + 1;
        user_id := v_ghost.id;
        email := v_ghost.email;
        auth_created_at := v_ghost.created_at;
        if dry_run then
          action := 'would_create';
        else
          begin
            if public.create_user_profile(v_ghost.id, v_ghost.email, v_ghost.email_confirmed_at, v_ghost.raw_user_meta_data, v_ghost.created_at) then
              action := 'created';
              v_created := v_created || v_ghost.id;
            else
              action := 'already_present';
            end if;
          exception when others then
            action := 'failed';
            v_failed := v_failed || jsonb_build_object('user_id', v_ghost.id, 'error_code', sqlstate, 'error_message', left(sqlerrm, 200));
          end;
        end if;
        return next;
      end loop;

      if not dry_run then
        update public.user_sync_failures f set resolved_at = now()
         where f.resolved_at is null and f.operation = 'insert' and f.user_id is not null
           and exists (select 1 from public.users u where u.id = f.user_id);
        get diagnostics v_resolved = row_count;
        insert into public.cleanup_audit_log (action, affected_count, details, performed_by)
        values ('backfill_ghost_users', cardinality(v_created),
                jsonb_build_object('ghosts_found', v_found,
                                   'created', to_jsonb(v_created[1:1000]),
                                   'failed', v_failed,
                                   'failures_resolved', v_resolved,
                                   'scope', case when backfill_ghost_users.user_ids is null then 'all' else 'listed' end,
                                   'warnings', to_jsonb(v_warnings)),
                v_by);
      end if;
    end $fn$;

    -- Retention of the monitor's own logs (90 days), audited like cleanup_old_tombstones().
    create function public.cleanup_old_monitoring_logs() returns integer
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_cutoff constant timestamptz := now() - interval '90 days';
      v_runs integer;
      v_alerts integer;
    begin
      delete from public.monitor_alert_log a where a.sent_at < v_cutoff;
      get diagnostics v_alerts = row_count;
      delete from public.user_sync_monitoring_log l where l.run_at < v_cutoff;
      get diagnostics v_runs = row_count;
      insert into public.cleanup_audit_log (action, affected_count, details, performed_by)
      values ('cleanup_old_monitoring_logs', v_runs,
              jsonb_build_object('retention_days', 90, 'cutoff', v_cutoff, 'alert_rows_deleted', v_alerts), session_user);
      return v_runs;
    end $fn$;
  `.execute(db);

  // Functions are executable by PUBLIC by default and Supabase grants anon/authenticated on new ones:
  // take both away; the service role and the owner are who runs these.
  for (const fn of FUNCTIONS) {
    await sql`revoke execute on function ${sql.raw(fn)} from public, anon, authenticated`.execute(db);
    await sql`grant execute on function ${sql.raw(fn)} to service_role`.execute(db);
  }
  for (const fn of FIRST_UUIDS_PARTS) await sql`revoke execute on function ${sql.raw(fn)} from public, anon, authenticated`.execute(db);
  const { rows } = await sql<{ sequence: string }>`select pg_get_serial_sequence('public.monitor_alert_log', 'id') as sequence`.execute(db);
  await sql`revoke all on sequence ${sql.raw(rows[0]!.sequence)} from public, anon, authenticated`.execute(db);
  await sql`grant usage, select on sequence ${sql.raw(rows[0]!.sequence)} to service_role`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const fn of [...FUNCTIONS].reverse()) {
    await sql`drop function if exists ${sql.raw(fn)}`.execute(db);
  }
  await sql`drop aggregate if exists public.first_uuids(uuid)`.execute(db);
  await sql`drop function if exists public.first_uuids_combine(uuid[], uuid[])`.execute(db);
  await sql`drop function if exists public.first_uuids_step(uuid[], uuid)`.execute(db);
  await sql`
    drop table if exists public.monitor_alert_log;
    drop index if exists public.platform_accounts_refresh_expires_idx;
    drop index if exists public.sync_logs_finished_at_idx;
    do $$
    begin
      if to_regclass('auth.users_deleted_at_idx') is not null
         and obj_description('auth.users_deleted_at_idx'::regclass, 'pg_class') = 'achievement-sync index for the orphaned-profile check' then
        drop index auth.users_deleted_at_idx;
      end if;
    end $$;
  `.execute(db);
}
