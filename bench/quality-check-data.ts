/**
 * A user base for the quality-check bench, generated in bulk: `users` auth users with profiles
 * (random v4 ids, signups spread over two years in created_at order, as GoTrue leaves the heap), a few
 * planted findings (ghost users, orphaned profiles, progress-parity breaches), progress for 1 % of the
 * users, a day of sync runs and links with expiring refresh tokens.
 *
 * Speed (10M users in a few minutes on 2 cores): the load runs with `session_replication_role =
 * replica` (no signup trigger, no foreign-key checks: rows valid by construction), `synchronous_commit
 * = off`, and without the auth.users / public.users indexes and constraints, which are rebuilt
 * afterwards by sorting (one pass each) instead of being maintained row by row in random uuid order.
 * The foreign keys come back `NOT VALID` (valid by construction; validating would be one more join of
 * the whole table). Then `vacuum analyze`: the steady state the monitor meets in production.
 */
import type pg from 'pg';

export interface QualityDataOptions {
  users: number;
  log?: (line: string) => void;
}

export interface QualityDataSummary {
  users: number;
  ghosts: number;
  orphans: number;
  parityBreaches: number;
  progressRows: number;
  unlockRows: number;
  seconds: number;
}

/** Planted findings, enough to exercise the lists without dominating anything. */
const GHOSTS = 100;
const ORPHANS = 100;
const PARITY_BREACHES = 10;
const GAMES = 4;
const ACHIEVEMENTS_PER_GAME = 10;
/** One user in this many has progress (GAMES games, every achievement earned). */
const PROGRESS_EVERY = 100;

/** Constraints and indexes of the two user tables, as pg_dump would restore them. */
async function userTableDefinitions(client: pg.Client): Promise<{ foreignKeys: string[]; constraints: string[]; indexes: string[]; drops: string[] }> {
  const fks = await client.query<{ rel: string; name: string; def: string }>(`
    select conrelid::regclass::text as rel, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
     where contype = 'f' and confrelid in ('auth.users'::regclass, 'public.users'::regclass)`);
  const own = await client.query<{ rel: string; name: string; def: string }>(`
    select conrelid::regclass::text as rel, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
     where contype in ('p', 'u') and conrelid in ('auth.users'::regclass, 'public.users'::regclass)`);
  const indexes = await client.query<{ name: string; def: string; schema: string }>(`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def, n.nspname as schema
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
     where i.indrelid in ('auth.users'::regclass, 'public.users'::regclass)
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`);
  return {
    foreignKeys: fks.rows.map((r) => `alter table ${r.rel} add constraint ${r.name} ${r.def} not valid`),
    constraints: own.rows.map((r) => `alter table ${r.rel} add constraint ${r.name} ${r.def}`),
    indexes: indexes.rows.map((r) => r.def),
    drops: [
      ...fks.rows.map((r) => `alter table ${r.rel} drop constraint ${r.name}`),
      ...own.rows.map((r) => `alter table ${r.rel} drop constraint ${r.name}`),
      ...indexes.rows.map((r) => `drop index ${r.name.includes('.') ? r.name : `${r.schema}.${r.name}`}`),
    ],
  };
}

export async function generateQualityData(client: pg.Client, options: QualityDataOptions): Promise<QualityDataSummary> {
  const log = options.log ?? (() => {});
  const n = options.users;
  const started = performance.now();
  const step = async (what: string, statement: string, params: unknown[] = []) => {
    const t = performance.now();
    await client.query(statement, params);
    log(`    ${what}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };

  await client.query(`set session_replication_role = replica`);
  await client.query(`set synchronous_commit = off`);
  await client.query(`set maintenance_work_mem = '1GB'`);
  await client.query(`set max_parallel_maintenance_workers = 2`);
  const definitions = await userTableDefinitions(client);
  for (const drop of definitions.drops) await client.query(drop);

  // Signups over two years, oldest first (the heap in created_at order, ids random). Ghost users
  // are spread through the range; the last of them signed up in the last hour.
  await step(`auth.users (${n})`, `
    insert into auth.users (id, email, email_confirmed_at, created_at, updated_at)
    select gen_random_uuid(), case when i % $2 = 0 then 'ghost' else 'user' end || i || '@bench.test', t, t, t
      from generate_series(1, $1::int) i
      cross join lateral (select now() - interval '730 days' * (1 - i::double precision / $1) as t) s`, [n, Math.floor(n / GHOSTS)]);
  // The trigger's work, set-based: every auth user but the ghosts gets a profile.
  await step('public.users', `
    insert into public.users (id, email, email_verified, username, created_at, updated_at)
    select id, email, true, 'u_' || substr(replace(id::text, '-', ''), 1, 26), created_at, created_at
      from auth.users where email not like 'ghost%'`);
  // Orphans: profiles whose auth user was soft-deleted since.
  await step('orphans', `
    update auth.users set deleted_at = created_at + interval '1 day'
     where id in (select id from auth.users where email not like 'ghost%' and created_at < now() - interval '30 days' order by id limit $1)`, [ORPHANS]);

  for (const statement of [...definitions.constraints, ...definitions.indexes]) await step(statement.slice(0, 90), statement);
  for (const statement of definitions.foreignKeys) await client.query(statement);

  // Progress: one user in PROGRESS_EVERY, GAMES Steam games, every achievement earned; then a few
  // progress rows that claim one unlock too many.
  await client.query(`
    insert into games (platform_id, platform_game_id, name, achievements_total)
    select 3, 'bench-' || g, 'Bench game ' || g, $1 from generate_series(1, $2::int) g on conflict do nothing`, [ACHIEVEMENTS_PER_GAME, GAMES]);
  await client.query(`
    insert into achievements (platform_id, platform_game_id, platform_achievement_id, name)
    select 3, 'bench-' || g, 'ACH_' || a, 'Achievement ' || a from generate_series(1, $2::int) g, generate_series(1, $1::int) a on conflict do nothing`,
  [ACHIEVEMENTS_PER_GAME, GAMES]);
  await client.query(`create temporary table progress_users as select id from public.users where abs(hashtext(id::text)) % $1 = 0`, [PROGRESS_EVERY]);
  await step('user_achievements', `
    insert into user_achievements (user_id, platform_id, platform_game_id, platform_achievement_id, earned_at)
    select u.id, 3, 'bench-' || g, 'ACH_' || a, now() - interval '1 day'
      from progress_users u, generate_series(1, $2::int) g, generate_series(1, $1::int) a
     order by 1, 3, 4`, [ACHIEVEMENTS_PER_GAME, GAMES]);
  await step('user_progress', `
    insert into user_progress (user_id, platform_id, platform_game_id, achievements_total, achievements_earned, completion_percentage)
    select u.id, 3, 'bench-' || g, $1, $1, 100 from progress_users u, generate_series(1, $2::int) g order by 1, 3`, [ACHIEVEMENTS_PER_GAME, GAMES]);
  await client.query(`
    update user_progress set achievements_earned = achievements_earned - 1
     where (user_id, platform_id, platform_game_id) in (select user_id, platform_id, platform_game_id from user_progress order by user_id limit $1)`, [PARITY_BREACHES]);

  // Links (one in a hundred users) with PSN-like refresh tokens lapsing over the next 60 days, and
  // a day of finished syncs of them.
  await step('platform_accounts', `
    insert into platform_accounts (user_id, platform_id, external_account_id, refresh_expires_at)
    select id, 1, 'psn-' || row_number() over (), now() + interval '60 days' * random() from progress_users`);
  await step('sync_logs', `
    insert into sync_logs (user_id, platform_id, mode, status, progress, error_code, started_at, finished_at, created_at, updated_at)
    select user_id, 1, 'incremental', case when r % 20 = 0 then 'failed' else 'succeeded' end, 100,
           case when r % 20 = 0 then 'platform_unavailable' end, t, t, t, t
      from (select user_id, row_number() over () as r, now() - interval '24 hours' * random() as t from platform_accounts) s`);

  await client.query(`set session_replication_role = origin`);
  await step('vacuum analyze', `vacuum analyze auth.users, public.users, user_progress, user_achievements, platform_accounts, sync_logs`);
  await client.query('checkpoint');
  const counts = await client.query<{ progress: string; unlocks: string }>(`select (select count(*) from user_progress) as progress, (select count(*) from user_achievements) as unlocks`);
  return {
    users: n,
    ghosts: GHOSTS,
    orphans: ORPHANS,
    parityBreaches: PARITY_BREACHES,
    progressRows: Number(counts.rows[0]!.progress),
    unlockRows: Number(counts.rows[0]!.unlocks),
    seconds: (performance.now() - started) / 1000,
  };
}
