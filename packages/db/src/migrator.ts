import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';

export const MIGRATIONS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../db/migrations');

/** Any constant that no other code in this database uses as an advisory lock key. */
const MIGRATION_LOCK_KEY = 7_231_001;

/**
 * Where Kysely keeps `kysely_migration` / `kysely_migration_lock`. Not `public`: PostgREST exposes
 * `public`, and on Supabase anon/authenticated get ALL on every new table there, so the anon key
 * could delete a row and make the next deploy fail. Not a generic `private` either: Supabase
 * projects often own a schema of that name with USAGE granted to their API roles for RLS helper
 * functions, and revoking it would break their policies. Only the owner is granted anything here.
 */
export const MIGRATION_SCHEMA = 'achievement_sync_private';

const KYSELY_TABLES = ['kysely_migration', 'kysely_migration_lock'] as const;

class FolderMigrationProvider implements MigrationProvider {
  readonly folder: string;
  constructor(folder: string) {
    this.folder = folder;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((f) => /^\d{4}_[a-z0-9_]+\.ts$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      migrations[file.replace(/\.ts$/, '')] = (await import(pathToFileURL(join(this.folder, file)).href)) as Migration;
    }
    return migrations;
  }
}

/**
 * Migrations are schema-agnostic; any typed Kysely instance can run them. Run them through
 * migrateToLatest / migrateDown / migrateToEmpty, which move an older install's bookkeeping first.
 */
function createMigrator<DB>(db: Kysely<DB>, bookkeepingSchema: string = MIGRATION_SCHEMA): Migrator {
  return new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: new FolderMigrationProvider(MIGRATIONS_DIR),
    migrationTableSchema: bookkeepingSchema,
  });
}

/**
 * Three containers may start `db:migrate` at once. Kysely's own lock is taken after it creates its
 * bookkeeping tables, and that creation itself races; a session-level advisory lock held on a
 * separate connection around the whole run makes the runs strictly one after another.
 */
async function withMigrationLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'achievement-sync-migrate' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await prepareBookkeepingSchema(client);
    return await fn();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

/**
 * Creates the bookkeeping schema, moves an older install's tables out of `public` (once: later runs
 * find them moved; runs are serialized by the advisory lock) and takes every grant away from
 * everyone but the owner. Moved tables carry Supabase's default grants on `public`, hence the
 * table-level revoke. The API roles are revoked by name only where they exist: on plain Postgres
 * the first migration creates them.
 */
async function prepareBookkeepingSchema(client: pg.Client): Promise<void> {
  const schema = client.escapeIdentifier(MIGRATION_SCHEMA);
  const moves = KYSELY_TABLES.map((table) => `
      if to_regclass('public.${table}') is not null and to_regclass('${MIGRATION_SCHEMA}.${table}') is null then
        alter table public.${table} set schema ${schema};
      end if;`).join('');
  await client.query('begin');
  try {
    await client.query(`
      create schema if not exists ${schema};
      do $$
      declare
        v_grantee text;
      begin
        -- Only an install whose bookkeeping was never moved: a migration table already in place
        -- means the move happened, and whatever is in public is not ours to take.
        if to_regclass('${MIGRATION_SCHEMA}.kysely_migration') is null then${moves}
        end if;
        for v_grantee in
          select 'public' union all select quote_ident(rolname) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')
        loop
          execute 'revoke all on schema ${schema} from ' || v_grantee;
          execute 'revoke all on all tables in schema ${schema} from ' || v_grantee;
        end loop;
      end $$;`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

function throwOnError(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const error = result.error instanceof Error ? result.error : new Error(String(result.error));
    error.message = `migration ${failed?.migrationName ?? '(unknown)'} failed: ${error.message}`;
    throw error;
  }
  return result;
}

export async function migrateToLatest<DB>(db: Kysely<DB>, url: string): Promise<MigrationResultSet> {
  return withMigrationLock(url, async () => throwOnError(await createMigrator(db).migrateToLatest()));
}

export async function migrateDown<DB>(db: Kysely<DB>, url: string): Promise<MigrationResultSet> {
  return withMigrationLock(url, async () => throwOnError(await createMigrator(db).migrateDown()));
}

export async function migrateToEmpty<DB>(db: Kysely<DB>, url: string): Promise<MigrationResultSet> {
  return withMigrationLock(url, async () => throwOnError(await createMigrator(db).migrateTo(NO_MIGRATIONS)));
}

/**
 * Read-only, so no lock and no move: an install whose bookkeeping is still in `public` (the next
 * `db:migrate` moves it) is read where it is.
 */
export async function migrationStatus<DB>(db: Kysely<DB>): Promise<{ name: string; executedAt: Date | undefined }[]> {
  const { rows } = await sql<{ schema: string }>`
    select case when to_regclass(${`${MIGRATION_SCHEMA}.kysely_migration`}) is null
                 and to_regclass('public.kysely_migration') is not null
                then 'public' else ${MIGRATION_SCHEMA} end as schema`.execute(db);
  const migrations = await createMigrator(db, rows[0]!.schema).getMigrations();
  return migrations.map((m) => ({ name: m.name, executedAt: m.executedAt }));
}
