import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { createDb, migrateToLatest, type Database } from '@ach/db';
import { withDatabase } from '@ach/testing';

/** A freshly migrated database of the scenario's own; drop() removes it. */
export async function createBenchDatabase(adminUrl: string): Promise<{ url: string; db: Kysely<Database>; drop: () => Promise<void> }> {
  const name = `ach_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const db = createDb(url, { max: 10 });
  await migrateToLatest(db, url);
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

// Data generation and upkeep a scenario needs in bulk, set-based: going through the repositories one
// row at a time would take longer than the measurement. Nothing here is on a measured path.

/** A user as signup makes one: the auth.users row (its trigger creates public.users). */
export async function createBenchUser(db: Kysely<Database>, options: { email: string; username: string }): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${options.email})`.execute(db);
  await sql`insert into public.users (id, username) values (${id}, ${options.username}) on conflict (id) do nothing`.execute(db);
  return id;
}

/**
 * `count` users, each with an unverified link of `platformId` (SteamID-shaped external ids), as
 * signup and PUT /accounts make them; their ids in table order, or shuffled.
 */
export async function seedLinkedUsers(db: Kysely<Database>, options: { count: number; platformId: number; shuffled?: boolean }): Promise<string[]> {
  await sql`
    insert into auth.users (id, email)
    select gen_random_uuid(), 'bench' || i || '@example.test' from generate_series(1, ${options.count}::int) i`.execute(db);
  await sql`
    insert into public.users (id, email, username)
    select id, email, 'b_' || substr(replace(id::text, '-', ''), 1, 26) from auth.users on conflict (id) do nothing`.execute(db);
  await sql`
    insert into platform_accounts (user_id, platform_id, external_account_id, display_name)
    select id, ${options.platformId}::smallint, '7656119' || lpad((row_number() over ())::text, 10, '0'), 'bench' from public.users`.execute(db);
  const { rows } = await sql<{ id: string }>`select id from public.users ${options.shuffled ? sql`order by random()` : sql``}`.execute(db);
  return rows.map((r) => r.id);
}

/** Statistics gathered and dead rows gone: the steady state, so autovacuum does not land inside a measurement. */
export async function vacuumAnalyze(db: Kysely<Database>, tables: readonly string[] = []): Promise<void> {
  await sql`vacuum analyze ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db);
}

export async function checkpoint(db: Kysely<Database>): Promise<void> {
  await sql`checkpoint`.execute(db);
}

export async function truncateSyncRuns(db: Kysely<Database>): Promise<void> {
  await sql`truncate sync_logs`.execute(db);
}

/** Queued runs, and how many INSERT statements made them (rows of one statement share created_at: now() is the transaction's start). */
export async function queuedRunStatements(db: Kysely<Database>): Promise<{ rows: number; statements: number }> {
  const { rows } = await sql<{ n: number; statements: number }>`
    select count(*)::int as n, count(distinct created_at)::int as statements from sync_logs where status = 'queued'`.execute(db);
  return { rows: rows[0]!.n, statements: rows[0]!.statements };
}

/** The Postgres backend serving `db` (a pool of one), whose CPU a scenario reads from /proc. */
export async function backendPid(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  return rows[0]!.pid;
}
