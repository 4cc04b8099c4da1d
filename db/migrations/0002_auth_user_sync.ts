import { sql, type Kysely } from 'kysely';

/**
 * Keeps `public.users` in step with `auth.users`.
 *
 * Signup must never fail because of us (an exception in an AFTER INSERT trigger on auth.users makes
 * Supabase answer 500 "Database error saving new user"), so both triggers catch everything and write
 * the error to `public.user_sync_failures`; `ensure_user_profile` (API fallback, monitor backfill)
 * heals what is missing.
 *
 * Usernames: the e-mail's local part normalised to [a-z0-9_], 3-30 characters; on a clash a random
 * numeric suffix. Inserts use `ON CONFLICT DO NOTHING` without a target: it covers both the id and the
 * username unique index and waits for a concurrent inserter of the same username to finish, so a clash
 * costs one more loop iteration, not an exception block (a subtransaction) per attempt.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Same rule as 0001's check, without the bounded repetition {3,30}: Postgres' regex engine
    -- expands it and the check cost ~5 µs per inserted row here, a quarter of the signup budget.
    alter table public.users drop constraint users_username_check,
      add constraint users_username_check check (username ~ '^[a-z0-9_]+$' and length(username) between 3 and 30);

    -- The mapping helpers are single-expression, immutable SQL functions without a SET clause so the
    -- planner inlines them into the callers' statements (a SET clause or a FROM would make every call
    -- a real function call, several µs each on the signup path). They use only pg_catalog.

    -- E-mail local part, lower-case, runs of anything but [a-z0-9_] to one '_', trimmed, at most 30
    -- characters; 1-2 characters get a 'user_' prefix; nothing left (no e-mail, phone signups, '...')
    -- gives 'user_<first 8 hex of the id>'. Two regexps, not three: the empty case is nullif/coalesce
    -- (each regexp costs ~1 µs per signup here).
    create function public.username_base(p_email text, p_user_id uuid) returns text
    language sql immutable parallel safe as $fn$
      select coalesce(
               nullif(regexp_replace(
                        left(btrim(regexp_replace(lower(split_part(coalesce(p_email, ''), '@', 1)), '[^a-z0-9_]+', '_', 'g'), '_'), 30),
                        '^(..?)$', 'user_\\1'), ''),
               'user_' || left(replace(p_user_id::text, '-', ''), 8))
    $fn$;

    create function public.auth_display_name(p_meta jsonb) returns text
    language sql immutable parallel safe as $fn$
      select coalesce(nullif(btrim(p_meta ->> 'full_name'), ''), nullif(btrim(p_meta ->> 'name'), ''))
    $fn$;

    create function public.auth_avatar_url(p_meta jsonb) returns text
    language sql immutable parallel safe as $fn$
      select coalesce(nullif(btrim(p_meta ->> 'avatar_url'), ''), nullif(btrim(p_meta ->> 'picture'), ''))
    $fn$;

    -- Attempt 0 is the base; later attempts add a random suffix that grows when clashes keep happening
    -- (4 digits, then 6, then 9), cutting the base so the result stays within 30 characters. The digit
    -- count is spelled out three times rather than computed in a FROM, which would stop inlining.
    create function public.username_candidate(p_base text, p_attempt integer) returns text
    language sql volatile parallel restricted as $fn$
      select case
               when p_attempt = 0 then p_base
               else left(p_base, 29 - case when p_attempt <= 3 then 4 when p_attempt <= 6 then 6 else 9 end) || '_'
                    || lpad(floor(random() * (10 ^ case when p_attempt <= 3 then 4 when p_attempt <= 6 then 6 else 9 end))::bigint::text,
                            case when p_attempt <= 3 then 4 when p_attempt <= 6 then 6 else 9 end, '0')
             end
    $fn$;

    -- For callers outside the triggers (API, webhook): a username nobody has right now. Only a
    -- unique insert decides for good, so prefer ensure_user_profile(), which retries the insert.
    create function public.generate_unique_username(p_email text, p_user_id uuid) returns text
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_base constant text := public.username_base(p_email, p_user_id);
      v_candidate text;
    begin
      for v_attempt in 0..20 loop
        v_candidate := public.username_candidate(v_base, v_attempt);
        if not exists (select 1 from public.users u where u.username = v_candidate) then
          return v_candidate;
        end if;
      end loop;
      raise exception 'no free username for base %', v_base using errcode = 'unique_violation';
    end $fn$;

    -- The one place that maps a single auth user onto a public.users row, retrying the username on
    -- a clash. True when it created the row, false when the row was already there (idempotent).
    create function public.create_user_profile(
      p_user_id uuid, p_email text, p_email_confirmed_at timestamptz, p_meta jsonb, p_created_at timestamptz
    ) returns boolean
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_base constant text := public.username_base(p_email, p_user_id);
    begin
      for v_attempt in 0..20 loop
        insert into public.users (id, email, email_verified, username, display_name, avatar_url, created_at)
        values (p_user_id, p_email, p_email_confirmed_at is not null, public.username_candidate(v_base, v_attempt),
                public.auth_display_name(p_meta), public.auth_avatar_url(p_meta), coalesce(p_created_at, now()))
        on conflict do nothing;
        if found then
          return true;
        end if;
        -- Nothing inserted: either the row exists already or the username is taken.
        if exists (select 1 from public.users u where u.id = p_user_id) then
          return false;
        end if;
      end loop;
      raise exception 'no free username for base %', v_base using errcode = 'unique_violation';
    end $fn$;

    create function public.record_user_sync_failure(
      p_user_id uuid, p_operation text, p_error_code text, p_error_message text, p_context jsonb
    ) returns void
    language plpgsql volatile security definer set search_path = '' as $fn$
    begin
      insert into public.user_sync_failures (user_id, operation, error_code, error_message, context)
      values (p_user_id, p_operation, p_error_code, p_error_message, coalesce(p_context, '{}'::jsonb));
      raise warning 'public.users % for auth user % failed: % %', p_operation, p_user_id, p_error_code, p_error_message;
    exception when others then
      -- Even the failure log may be unavailable (renamed table, full disk): the signup still goes through.
      raise warning 'could not record user sync failure for %: % (original: % %)', p_user_id, sqlerrm, p_error_code, p_error_message;
    end $fn$;

    -- Statement-level with a transition table. A row trigger needs an exception block per row so a
    -- failure never aborts the signup, and every block that writes is a subtransaction with its own
    -- xid: a 5,000-row insert overflowed the per-backend subxid cache (64) and made every visibility
    -- check slow (~170 µs added per signup). Here the whole statement is one set-based insert inside
    -- ONE exception block:
    --   * usernames are assigned set-based: the base for the first row of each base (row_number over
    --     the base), a random suffix for the others; ON CONFLICT DO NOTHING (no target: id and
    --     username) skips rows whose candidate is taken, and rows already present (a second firing);
    --   * rows not inserted (their base is held by an earlier signup, or a suffix clashed) get one
    --     more set-based round with a fresh suffix; the very few still left go through
    --     create_user_profile's retry loop (~150 µs a call here), still inside the same block, so a
    --     clash costs no subtransaction;
    --   * if anything in the block raises, the block is rolled back and every row is retried on its
    --     own with its own exception block, recording failures in user_sync_failures, so one bad
    --     row never costs the others their profile.
    -- Rows come out of the window grouped and ordered by base, so concurrent batches contend for
    -- clashing names in the same order; a deadlock would still only send the loser to the per-row path.
    -- A one-row signup (GoTrue: one row per statement and transaction) takes a plain-insert fast
    -- path: one call, one block, one insert, within ~30 µs of the former row trigger in a one-row
    -- transaction (bench/scenarios/signup-trigger-cost.ts).
    create function public.handle_new_user() returns trigger
    language plpgsql security definer set search_path = '' as $fn$
    declare
      v_pending uuid[];
      v_user record;
      v_state text;
      v_message text;
      v_detail text;
      v_constraint text;
    begin
      begin
        -- One row (GoTrue's signup): the plain insert, without the window, sort and EXCEPT nodes whose
        -- set-up is most of a one-row statement's cost.
        if (select count(*) from new_users) = 1 then
          insert into public.users (id, email, email_verified, username, display_name, avatar_url, created_at)
          select u.id, u.email, u.email_confirmed_at is not null, public.username_base(u.email, u.id),
                 public.auth_display_name(u.raw_user_meta_data), public.auth_avatar_url(u.raw_user_meta_data),
                 coalesce(u.created_at, now())
            from new_users u
          on conflict do nothing;
          if not found then
            for v_user in select u.id, u.email, u.email_confirmed_at, u.raw_user_meta_data, u.created_at from new_users u loop
              perform public.create_user_profile(v_user.id, v_user.email, v_user.email_confirmed_at, v_user.raw_user_meta_data, v_user.created_at);
            end loop;
          end if;
          return null;
        end if;

        -- EXCEPT (hashed or sorted, whatever the cached plan's row estimate) rather than an anti-join,
        -- whose plan cached from a one-row statement would be a nested loop over 5,000 × 5,000 rows.
        with inserted as (
          insert into public.users (id, email, email_verified, username, display_name, avatar_url, created_at)
          select n.id, n.email, n.email_confirmed_at is not null,
                 case when n.nth = 1 then n.base else public.username_candidate(n.base, 1) end,
                 public.auth_display_name(n.raw_user_meta_data), public.auth_avatar_url(n.raw_user_meta_data),
                 coalesce(n.created_at, now())
            from (select b.*, row_number() over (partition by b.base collate "C") as nth
                    from (select u.id, u.email, u.email_confirmed_at, u.raw_user_meta_data, u.created_at,
                                 public.username_base(u.email, u.id) as base
                            from new_users u) as b) as n
          on conflict do nothing
          returning id)
        select array_agg(p.id) into v_pending
          from (select u.id from new_users u except select i.id from inserted i) as p;

        if v_pending is not null then
          -- Mostly bases an earlier signup already holds: one more set-based round with a fresh suffix.
          -- Read back by primary key: a scan of the transition table per pending row would be quadratic.
          with retried as (
            insert into public.users (id, email, email_verified, username, display_name, avatar_url, created_at)
            select a.id, a.email, a.email_confirmed_at is not null,
                   public.username_candidate(public.username_base(a.email, a.id), 1),
                   public.auth_display_name(a.raw_user_meta_data), public.auth_avatar_url(a.raw_user_meta_data),
                   coalesce(a.created_at, now())
              from auth.users a where a.id = any(v_pending)
            on conflict do nothing
            returning id)
          select array_agg(p.id) into v_pending
            from (select unnest(v_pending) as id except select r.id from retried r) as p;
        end if;

        if v_pending is not null then
          -- A suffix clashed again, or the row exists already (a second firing): the retry loop decides.
          for v_user in
            select a.id, a.email, a.email_confirmed_at, a.raw_user_meta_data, a.created_at
              from auth.users a where a.id = any(v_pending)
          loop
            perform public.create_user_profile(v_user.id, v_user.email, v_user.email_confirmed_at, v_user.raw_user_meta_data, v_user.created_at);
          end loop;
        end if;
        return null;
      exception when others then
        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
        raise warning 'set-based public.users insert failed (% %); retrying row by row', v_state, v_message;
      end;

      for v_user in
        select u.id, u.email, u.email_confirmed_at, u.raw_user_meta_data, u.created_at from new_users u
      loop
        begin
          perform public.create_user_profile(v_user.id, v_user.email, v_user.email_confirmed_at, v_user.raw_user_meta_data, v_user.created_at);
        exception when others then
          get stacked diagnostics v_state = returned_sqlstate, v_message = message_text,
            v_detail = pg_exception_detail, v_constraint = constraint_name;
          perform public.record_user_sync_failure(v_user.id, 'insert', v_state, v_message,
            jsonb_strip_nulls(jsonb_build_object('email', v_user.email, 'detail', nullif(v_detail, ''), 'constraint', nullif(v_constraint, ''))));
        end;
      end loop;
      return null;
    end $fn$;

    -- Row-level: auth updates one user per statement (every sign-in touches last_sign_in_at), so
    -- there is no subxid pile-up to avoid. Fields are copied only when they changed in auth (OLD vs
    -- NEW), so an unrelated update never overwrites a display name the user edited in the app, and
    -- any update heals a missing public.users row. The change check is pure expressions and runs
    -- before the exception block; what is left inside touches tables, and on the common no-change
    -- path that is one primary-key probe: a read-only subtransaction, which gets no xid. The probe
    -- stays inside the block because a broken public.users must not fail every sign-in.
    create function public.handle_user_update() returns trigger
    language plpgsql security definer set search_path = '' as $fn$
    declare
      v_new_name constant text := public.auth_display_name(new.raw_user_meta_data);
      v_new_avatar constant text := public.auth_avatar_url(new.raw_user_meta_data);
      v_email_changed constant boolean := new.email is distinct from old.email;
      v_verified_changed constant boolean := (new.email_confirmed_at is null) <> (old.email_confirmed_at is null);
      v_name_changed constant boolean := v_new_name is distinct from public.auth_display_name(old.raw_user_meta_data);
      v_avatar_changed constant boolean := v_new_avatar is distinct from public.auth_avatar_url(old.raw_user_meta_data);
      v_state text;
      v_message text;
      v_detail text;
      v_constraint text;
    begin
      if v_email_changed or v_verified_changed or v_name_changed or v_avatar_changed then
        update public.users u set
          email = case when v_email_changed then new.email else u.email end,
          email_verified = case when v_verified_changed then new.email_confirmed_at is not null else u.email_verified end,
          display_name = case when v_name_changed then v_new_name else u.display_name end,
          avatar_url = case when v_avatar_changed then v_new_avatar else u.avatar_url end
        where u.id = new.id
          and ((v_email_changed and u.email is distinct from new.email)
            or (v_verified_changed and u.email_verified is distinct from (new.email_confirmed_at is not null))
            or (v_name_changed and u.display_name is distinct from v_new_name)
            or (v_avatar_changed and u.avatar_url is distinct from v_new_avatar));
        if found then
          return null;
        end if;
      end if;
      if not exists (select 1 from public.users u where u.id = new.id) then
        perform public.create_user_profile(new.id, new.email, new.email_confirmed_at, new.raw_user_meta_data, new.created_at);
      end if;
      return null;
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text,
        v_detail = pg_exception_detail, v_constraint = constraint_name;
      perform public.record_user_sync_failure(new.id, 'update', v_state, v_message,
        jsonb_strip_nulls(jsonb_build_object('email', new.email, 'detail', nullif(v_detail, ''), 'constraint', nullif(v_constraint, ''))));
      return null;
    end $fn$;

    -- The self-healing path for the API's POST /users/sync, the auth webhook and the monitor's
    -- backfill: same mapping as the trigger, idempotent. True when it created the row; raises
    -- no_data_found (P0002) when there is no such auth user.
    create function public.ensure_user_profile(p_user_id uuid) returns boolean
    language plpgsql volatile security definer set search_path = '' as $fn$
    declare
      v_auth record;
    begin
      if exists (select 1 from public.users u where u.id = p_user_id) then
        return false;
      end if;
      select a.id, a.email, a.email_confirmed_at, a.raw_user_meta_data, a.created_at into v_auth
        from auth.users a where a.id = p_user_id;
      if not found then
        raise exception 'auth user % does not exist', p_user_id using errcode = 'no_data_found';
      end if;
      return public.create_user_profile(v_auth.id, v_auth.email, v_auth.email_confirmed_at, v_auth.raw_user_meta_data, v_auth.created_at);
    end $fn$;

    create trigger on_auth_user_created after insert on auth.users
      referencing new table as new_users
      for each statement execute function public.handle_new_user();
    create trigger on_auth_user_updated after update on auth.users
      for each row execute function public.handle_user_update();

    -- Functions are executable by PUBLIC by default, and Supabase also grants anon/authenticated
    -- explicitly on new functions in public: take both away, then give the service what it calls.
    revoke execute on function
      public.username_base(text, uuid), public.username_candidate(text, integer),
      public.auth_display_name(jsonb), public.auth_avatar_url(jsonb),
      public.generate_unique_username(text, uuid),
      public.create_user_profile(uuid, text, timestamptz, jsonb, timestamptz),
      public.record_user_sync_failure(uuid, text, text, text, jsonb),
      public.handle_new_user(), public.handle_user_update(), public.ensure_user_profile(uuid)
      from public, anon, authenticated;
    grant execute on function
      public.username_base(text, uuid), public.username_candidate(text, integer),
      public.generate_unique_username(text, uuid), public.ensure_user_profile(uuid)
      to service_role;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger if exists on_auth_user_updated on auth.users;
    drop trigger if exists on_auth_user_created on auth.users;
    drop function if exists public.ensure_user_profile(uuid);
    drop function if exists public.handle_user_update();
    drop function if exists public.handle_new_user();
    drop function if exists public.record_user_sync_failure(uuid, text, text, text, jsonb);
    drop function if exists public.create_user_profile(uuid, text, timestamptz, jsonb, timestamptz);
    drop function if exists public.generate_unique_username(text, uuid);
    drop function if exists public.username_candidate(text, integer);
    drop function if exists public.auth_avatar_url(jsonb);
    drop function if exists public.auth_display_name(jsonb);
    drop function if exists public.username_base(text, uuid);
    alter table public.users drop constraint users_username_check,
      add constraint users_username_check check (username ~ '^[a-z0-9_]{3,30}$');
  `.execute(db);
}
