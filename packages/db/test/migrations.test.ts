import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, migrateToEmpty, migrateToLatest, migrationStatus, MIGRATION_SCHEMA, MIGRATIONS_DIR } from '@ach/db';
import { createEmptyDatabase, type EmptyDatabase } from './empty-database.ts';

const MIGRATION_NAMES = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_[a-z0-9_]+\.ts$/.test(f)).sort().map((f) => f.replace(/\.ts$/, ''));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

const databases: EmptyDatabase[] = [];
async function emptyDatabase(): Promise<EmptyDatabase> {
  const database = await createEmptyDatabase();
  databases.push(database);
  return database;
}
afterAll(async () => {
  for (const database of databases) await database.drop();
});

/**
 * Everything a migration could leave behind in the schemas it works in. Kysely's bookkeeping lives
 * in its own schema and must not show up here.
 */
async function schemaObjects(database: EmptyDatabase): Promise<string[]> {
  const { rows } = await database.query<{ object: string }>(`
    select 'relation ' || n.nspname || '.' || c.relname as object
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('public', 'auth')
    union all
    select 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('public', 'auth')
    union all
    select 'schema ' || nspname from pg_namespace where nspname = 'auth'
    union all
    select 'trigger ' || tgname || ' on ' || tgrelid::regclass::text from pg_trigger where not tgisinternal
    union all
    select 'policy ' || polname from pg_policy
    order by 1`);
  return rows.map((r) => r.object);
}

async function withDb<T>(url: string, fn: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const db = createDb(url, { max: 2 });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

function runCli(url: string, command: 'up' | 'down'): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // process.execPath: the Node 24 running the tests; the machine's default node cannot run .ts files.
    const child = spawn(process.execPath, [CLI, command], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The last migration before the bookkeeping moved out of public. */
const LAST_WITH_BOOKKEEPING_IN_PUBLIC = '0004_tombstones';

/**
 * What the migrator did before: Kysely's defaults, bookkeeping in `public`, with the migrations
 * there were then. Applied under Supabase's default privileges, so its tables carry anon's grants.
 */
async function migrateAsOlderRelease(database: EmptyDatabase, db: Kysely<unknown>): Promise<void> {
  await database.query(`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin; end if;
      if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
      if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin bypassrls; end if;
    end $$;
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;`);
  const names = MIGRATION_NAMES.filter((name) => name <= LAST_WITH_BOOKKEEPING_IN_PUBLIC);
  const provider = {
    getMigrations: async (): Promise<Record<string, Migration>> => Object.fromEntries(await Promise.all(
      names.map(async (name) => [name, (await import(pathToFileURL(join(MIGRATIONS_DIR, `${name}.ts`)).href)) as Migration]))),
  };
  const result = await new Migrator({ db, provider }).migrateToLatest();
  if (result.error) throw result.error;
}

describe('migrations', () => {
  it('go up from an empty database, down to empty, and up again', async () => {
    const database = await emptyDatabase();
    await withDb(database.url, async (db) => {
      const first = await migrateToLatest(db, database.url);
      expect(first.results?.map((r) => r.migrationName)).toEqual(MIGRATION_NAMES);
      const migrated = await schemaObjects(database);
      expect(migrated).toEqual(expect.arrayContaining([
        'relation public.users', 'relation auth.users', 'function auth.uid()', 'function public.handle_new_user()',
        'trigger on_auth_user_created on auth.users', 'policy users_select_own', 'function public.cleanup_old_tombstones()',
      ]));

      const down = await migrateToEmpty(db, database.url);
      expect(down.results?.map((r) => r.migrationName)).toEqual([...MIGRATION_NAMES].reverse());
      expect(await schemaObjects(database)).toEqual([]);

      const again = await migrateToLatest(db, database.url);
      expect(again.results?.map((r) => r.migrationName)).toEqual(MIGRATION_NAMES);
      expect(await schemaObjects(database)).toEqual(migrated);
    });
  });

  it('applies each migration exactly once when three CLI processes run up at the same time', async () => {
    const database = await emptyDatabase();
    const runs = await Promise.all([runCli(database.url, 'up'), runCli(database.url, 'up'), runCli(database.url, 'up')]);
    for (const run of runs) expect(run.code, run.output).toBe(0);
    const { rows } = await database.query<{ name: string }>(`select name from ${MIGRATION_SCHEMA}.kysely_migration order by name`);
    expect(rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
    // Between them the three runs report every migration applied once, whichever process did it.
    const applied = runs.flatMap((run) => [...run.output.matchAll(/^applied\s+(\S+)$/gm)].map((m) => m[1]));
    expect(applied.sort()).toEqual(MIGRATION_NAMES);
  });

  it('moves an older install\'s bookkeeping out of public when three runs race, re-applying nothing', async () => {
    const database = await emptyDatabase();
    await withDb(database.url, (db) => migrateAsOlderRelease(database, db as unknown as Kysely<unknown>));
    const before = await database.query<{ name: string; timestamp: string }>('select name, timestamp from public.kysely_migration order by name');
    expect(before.rows.map((r) => r.name)).toEqual(MIGRATION_NAMES.filter((name) => name <= LAST_WITH_BOOKKEEPING_IN_PUBLIC));
    const anonBefore = await database.query<{ can: boolean }>(`select has_table_privilege('anon', 'public.kysely_migration', 'DELETE') as can`);
    expect(anonBefore.rows[0]!.can).toBe(true);

    // db:status, read-only, reads the bookkeeping where it still is.
    const status = await withDb(database.url, (db) => migrationStatus(db));
    expect(status.filter((m) => m.executedAt).map((m) => m.name)).toEqual(before.rows.map((r) => r.name));

    const runs = await Promise.all([runCli(database.url, 'up'), runCli(database.url, 'up'), runCli(database.url, 'up')]);
    for (const run of runs) expect(run.code, run.output).toBe(0);
    const applied = runs.flatMap((run) => [...run.output.matchAll(/^applied\s+(\S+)$/gm)].map((m) => m[1]));
    expect(applied.sort()).toEqual(MIGRATION_NAMES.filter((name) => name > LAST_WITH_BOOKKEEPING_IN_PUBLIC));

    const tables = await database.query<{ name: string }>(`
      select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relname like 'kysely%' and c.relkind = 'r' order by 1`);
    expect(tables.rows.map((r) => r.name)).toEqual([`${MIGRATION_SCHEMA}.kysely_migration`, `${MIGRATION_SCHEMA}.kysely_migration_lock`]);
    const after = await database.query<{ name: string; timestamp: string }>(`select name, timestamp from ${MIGRATION_SCHEMA}.kysely_migration order by name`);
    // The rows the older release wrote, untouched (same timestamps), and the new migrations once each.
    expect(after.rows.slice(0, before.rows.length)).toEqual(before.rows);
    expect(after.rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
    const grants = await database.query<{ role: string; can: boolean }>(`
      select r.rolname as role, has_table_privilege(r.rolname, '${MIGRATION_SCHEMA}.kysely_migration', 'SELECT, DELETE') as can
        from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') order by 1`);
    expect(grants.rows).toEqual([{ role: 'anon', can: false }, { role: 'authenticated', can: false }, { role: 'service_role', can: false }]);

    const again = await runCli(database.url, 'up');
    expect(again.output).toContain('database is up to date');
  });

  it('keeps an existing Supabase auth schema: the shim is skipped on up and nothing of theirs is dropped on down', async () => {
    const database = await emptyDatabase();
    await database.query(`
      create schema auth;
      create table auth.users (
        instance_id uuid, id uuid primary key, aud varchar(255), role varchar(255), email varchar(255),
        encrypted_password varchar(255), email_confirmed_at timestamptz, phone text, raw_app_meta_data jsonb,
        raw_user_meta_data jsonb, is_super_admin boolean, created_at timestamptz, updated_at timestamptz,
        last_sign_in_at timestamptz, deleted_at timestamptz, is_anonymous boolean not null default false
      );
      create function auth.uid() returns uuid language sql stable as
        $$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid -- supabase original $$;
    `);
    const before = await database.query<{ prosrc: string }>(`select prosrc from pg_proc where oid = 'auth.uid()'::regprocedure`);
    const columns = async () =>
      (await database.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = 'auth' and table_name = 'users' order by ordinal_position`)).rows.map((r) => r.column_name);
    const theirColumns = await columns();
    const indexes = async () =>
      (await database.query<{ indexname: string }>(`select indexname from pg_indexes where schemaname = 'auth' order by 1`)).rows.map((r) => r.indexname);
    const theirIndexes = await indexes();

    await withDb(database.url, (db) => migrateToLatest(db, database.url));

    expect(await columns()).toEqual(theirColumns);
    const shimComment = await database.query<{ comment: string | null }>(`select obj_description('auth.users'::regclass, 'pg_class') as comment`);
    expect(shimComment.rows[0]!.comment).toBeNull();
    const after = await database.query<{ prosrc: string }>(`select prosrc from pg_proc where oid = 'auth.uid()'::regprocedure`);
    expect(after.rows[0]!.prosrc).toBe(before.rows[0]!.prosrc);
    // The triggers work on their table: a GoTrue-shaped signup gets a profile.
    await database.query(`insert into auth.users (id, aud, role, email, encrypted_password, raw_user_meta_data, created_at, updated_at)
      values ('00000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'Sup.Abase@example.com', 'x', '{"name":"Supa"}', now(), now())`);
    const profile = await database.query<{ username: string; display_name: string }>('select username, display_name from public.users');
    expect(profile.rows).toEqual([{ username: 'sup_abase', display_name: 'Supa' }]);

    await withDb(database.url, (db) => migrateToEmpty(db, database.url));

    expect(await columns()).toEqual(theirColumns);
    expect(await indexes()).toEqual(theirIndexes);
    const users = await database.query<{ count: number }>('select count(*)::int as count from auth.users');
    expect(users.rows[0]!.count).toBe(1);
    const down = await database.query<{ prosrc: string }>(`select prosrc from pg_proc where oid = to_regprocedure('auth.uid()')`);
    expect(down.rows.map((r) => r.prosrc)).toEqual([before.rows[0]!.prosrc]);
    const triggers = await database.query(`select tgname from pg_trigger where tgrelid = 'auth.users'::regclass and not tgisinternal`);
    expect(triggers.rows).toEqual([]);
  });
});
