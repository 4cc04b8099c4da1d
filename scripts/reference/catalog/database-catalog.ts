/**
 * Who owns each table (the one module whose statements write it, see the "one home per table"
 * rule) and what it is for. Names, columns, migrations and SQL functions are read from
 * db/migrations and packages/db/src/database.ts; a table or view without an entry here fails
 * `npm run docs:reference`.
 */
export const TABLE_CATALOG: Readonly<Record<string, { owner: string; purpose: string }>> = {
  'auth.users': {
    owner: 'Supabase Auth (GoTrue); on plain Postgres a minimal shim created by 0001',
    purpose: 'Sign-ups. Its triggers keep `public.users` in step; read by `@ach/accounts` (profile repair) and the quality checks.',
  },
  'public.platforms': {
    owner: 'migrations (reference data)',
    purpose: 'One row per platform module (`id`, `code` = slug, `name`); a new platform\'s migration inserts its row.',
  },
  'public.users': {
    owner: '`@ach/accounts` (user repository) and the auth triggers',
    purpose: 'The app\'s user profile, one per auth user (username, display name, avatar).',
  },
  'public.platform_accounts': {
    owner: '`@ach/accounts` (platform account repository)',
    purpose: 'A user\'s link to one platform: external id, encrypted credentials + key id, `verified` ownership, and the mirror of the latest run (`sync_status`, `sync_progress`, `last_synced_at`, `last_error_code`, `needs_attention`).',
  },
  'public.games': {
    owner: '`@ach/library`',
    purpose: 'A platform\'s game (title), shared by all users; `metadata_fetched_at` drives the 7-day definitions cache.',
  },
  'public.achievements': {
    owner: '`@ach/library`',
    purpose: 'Achievement / trophy definitions of a game, with rarity; shared by all users.',
  },
  'public.user_progress': {
    owner: '`@ach/library`',
    purpose: 'A user\'s progress in one game: earned count (always the count of their `user_achievements` rows), points, completion, last played, the platform\'s change marker (`platform_specific_data.changeMarker`).',
  },
  'public.user_achievements': {
    owner: '`@ach/library`',
    purpose: 'What a user has unlocked, and when.',
  },
  'public.sync_logs': {
    owner: '`@ach/sync-runs` (run repository)',
    purpose: 'One row per sync run: mode, status (queued → running → succeeded / failed / cancelled), progress, stats, error code and message, attempts. A partial unique index allows one live run per user and platform.',
  },
  'public.trophy_help_requests': {
    owner: '`@ach/client-sync` (the app\'s pushes); also PostgREST under RLS',
    purpose: 'A user\'s request for help with a trophy / achievement (keyed by the user and a client-generated id).',
  },
  'public.flex_room_data': {
    owner: '`@ach/client-sync` (the app\'s pushes); also PostgREST under RLS',
    purpose: 'A user\'s showcase ("flex room"), one per profile.',
  },
  'public.tombstone_purge_horizon': {
    owner: '`cleanup_old_tombstones()` (0008); read by `@ach/client-sync`',
    purpose: 'One row: the largest change stamp whose tombstones were purged. A client whose watermark is at or below it may have missed a deletion and must reset (`sync_reset_required`).',
  },
  'public.deleted_records': {
    owner: 'the `record_deletion` trigger (0004)',
    purpose: 'Tombstones for the app\'s offline sync: every delete from a table the app syncs leaves `(user_id, table_name, record_id, deleted_at)`, stamped for pulls; kept 30 days (`cleanup_old_tombstones`).',
  },
  'public.user_sync_monitoring_log': {
    owner: 'the quality-check SQL functions (0007), called by `services/monitor`',
    purpose: 'One row per quality run: overall status, every check\'s result, counts, duration; kept 90 days.',
  },
  'public.user_sync_failures': {
    owner: 'the auth triggers (`record_user_sync_failure`, 0002)',
    purpose: 'A failure inside a signup / update trigger, recorded instead of aborting the sign-up; read by the `auth_sync_failures` check.',
  },
  'public.cleanup_audit_log': {
    owner: 'the repair and retention SQL functions (0004, 0007)',
    purpose: 'Audit of ghost-user backfills and retention clean-ups (what, how many, by whom).',
  },
  'public.monitor_alert_log': {
    owner: '`services/monitor` (alert log repository)',
    purpose: 'What the monitor told operators (alert, recovery, reminder) or held back (suppressed), per channel: the alert state shared by every monitor replica.',
  },
  'public.profiles': {
    owner: 'view (0001)',
    purpose: 'Public profile fields with each platform\'s sync status, progress and last sync (security invoker: RLS of the underlying tables applies).',
  },
  'public.psn_sync_logs': { owner: 'view (0001)', purpose: '`sync_logs` of PSN (`platform_id = 1`).' },
  'public.xbox_sync_logs': { owner: 'view (0001)', purpose: '`sync_logs` of Xbox (`platform_id = 2`).' },
  'public.steam_sync_logs': { owner: 'view (0001)', purpose: '`sync_logs` of Steam (`platform_id = 3`).' },
};

/**
 * What each SQL function is for, when the comment above it in its migration does not say it in
 * its first sentence. A function with neither fails `npm run docs:reference`.
 */
export const FUNCTION_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'auth.uid': 'Shim of Supabase\'s `auth.uid()` (plain Postgres only): the user id of the request\'s JWT claims.',
  'auth.role': 'Shim of Supabase\'s `auth.role()` (plain Postgres only): the role of the request\'s JWT claims.',
  'auth.jwt': 'Shim of Supabase\'s `auth.jwt()` (plain Postgres only): the request\'s JWT claims.',
  'public.set_updated_at': 'Trigger function: sets `updated_at = now()` on every update (replaced on the synced tables by `set_updated_at_and_sync_xid`, 0008).',
  'public.set_updated_at_and_sync_xid': 'Trigger function: sets `updated_at = now()` and stamps `sync_xid` with the updating transaction\'s id, so a client-sync pull sends the row.',
  'public.username_base': 'The username stem: the e-mail\'s local part, lower-case, `[a-z0-9_]`, at most 30 characters (`user_…` when too short or absent).',
  'public.auth_display_name': 'Display name from auth user metadata (`full_name`, else `name`).',
  'public.auth_avatar_url': 'Avatar URL from auth user metadata (`avatar_url`, `picture`).',
  'public.username_candidate': 'Attempt n of a username: the stem, then the stem with a random suffix (4, 6, then 9 digits) as clashes repeat.',
  'public.generate_unique_username': 'A username nobody has right now, for callers outside the triggers.',
  'public.create_user_profile': 'The one mapping of an auth user onto a `public.users` row (retries username clashes); returns whether it created the row.',
  'public.record_user_sync_failure': 'Records a failure of the auth triggers in `user_sync_failures` without raising.',
  'public.handle_new_user': 'Trigger function of `on_auth_user_created`: creates the profiles of a statement\'s new auth users, set-based; a failure is recorded, never aborts the sign-up.',
  'public.handle_user_update': 'Trigger function of `on_auth_user_updated`: carries changed e-mail, verification, name and avatar to `public.users`, and heals a missing profile.',
  'public.ensure_user_profile': 'Creates a user\'s profile when the trigger did not (the API\'s `POST /users/sync`, the auth webhook, the backfill); returns whether it created it; `P0002` when there is no such auth user.',
  'public.record_deletion': 'Trigger function of `record_deletion`: one set-based tombstone upsert per statement into `deleted_records`.',
  'public.cleanup_old_tombstones': 'Deletes tombstones older than 30 days (audited); returns how many.',
  'public.auth_trigger_status': 'Whether the two auth triggers exist and fire, as the checks and the backfill pre-flight see them.',
  'public.check_ghost_users': 'Auth users who can sign in but have no `public.users` row (all, or signed up since a time).',
  'public.check_orphaned_profiles': 'Profiles whose auth user is soft-deleted (all, or deleted since a time).',
  'public.check_progress_parity': '`user_progress` rows whose earned count differs from their `user_achievements` rows, and unlocks without a progress row.',
  'public.get_user_sync_stats': 'Every user count (auth, active, deleted, public, ghosts, orphans) in one pass.',
  'public.user_sync_findings': "The full quality run's one parallel pass over the users: every count of get_user_sync_stats plus up to 1,000 ghost and orphan ids.",
  'public.first_uuids_step': 'Support function of the first_uuids aggregate (adds an id while fewer than 1,000 are held).',
  'public.first_uuids_combine': 'Support function of the first_uuids aggregate (merges two workers\' partial lists, capped at 1,000).',
  'public.quality_overall_status': 'The overall status of a set of check rows: `critical`, `warning` or `healthy`.',
  'public.quality_check_window_start': 'Where the next incremental run starts looking (the latest run\'s start, with a margin).',
  'public.run_user_sync_quality_check': 'Runs every SQL quality check: full (no argument) or incremental (since a time, plus re-checks of what the previous run found); one row per check.',
  'public.record_user_sync_metrics': 'Writes one monitoring-log row for a run (the given checks, or a fresh full run) and returns its overall status.',
  'public.get_latest_sync_status': 'The latest quality run, with when the latest full run was.',
  'public.get_sync_status_history': 'One row per quality run of the last n days, oldest first, with its failing checks.',
  'public.backfill_ghost_users': 'Creates the missing profiles of ghost users (dry run by default; a real run is audited); warns when `on_auth_user_created` is missing or disabled.',
  'public.cleanup_old_monitoring_logs': 'Deletes monitoring-log rows older than 90 days (audited); returns how many.',
};

/** What each trigger does (its table and function are read from the migrations). */
export const TRIGGER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  set_updated_at: 'Keeps `updated_at` current and, since 0008, the row\'s `sync_xid` change stamp that client-sync pulls read.',
  on_auth_user_created: 'Creates the new users\' `public.users` rows (no "ghost users"); failures go to `user_sync_failures`.',
  on_auth_user_updated: 'Keeps `public.users` in step with auth changes (e-mail, verification, metadata).',
  record_deletion: 'Writes tombstones into `deleted_records` for the app\'s offline sync.',
};
