import { sql, type Kysely } from 'kysely';

/** The cheapest round trip that proves the pool can reach Postgres (readiness, start-up waits). */
export async function pingDatabase<DB>(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
