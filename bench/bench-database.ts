import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
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
