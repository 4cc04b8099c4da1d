import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';

export const MIGRATIONS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../db/migrations');

/** Any constant that no other code in this database uses as an advisory lock key. */
const MIGRATION_LOCK_KEY = 7_231_001;

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

/** Migrations are schema-agnostic; any typed Kysely instance can run them. */
export function createMigrator<DB>(db: Kysely<DB>, folder = MIGRATIONS_DIR): Migrator {
  return new Migrator({ db: db as unknown as Kysely<unknown>, provider: new FolderMigrationProvider(folder) });
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
    return await fn();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
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

export async function migrationStatus<DB>(db: Kysely<DB>): Promise<{ name: string; executedAt: Date | undefined }[]> {
  const migrations = await createMigrator(db).getMigrations();
  return migrations.map((m) => ({ name: m.name, executedAt: m.executedAt }));
}
