import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Database } from '@ach/db';
import { withDatabase } from './test-services.ts';

export interface TestDatabase {
  name: string;
  url: string;
  db: Kysely<Database>;
  /** Drops the database; call in afterAll. */
  drop: () => Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated template: every migration applied, no data, ~100 ms. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ach_t_${inject('testRunId')}_${randomBytes(4).toString('hex')}`;
  const template = inject('templateDatabase');
  await admin(async (client) => {
    // Postgres refuses to copy a template while another backend is cloning it; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        if (attempt >= 50 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  });
  const url = withDatabase(inject('postgresAdminUrl'), name);
  const db = createDb(url, { max: 10, applicationName: 'achievement-sync-test' });
  return {
    name,
    url,
    db,
    drop: async () => {
      await db.destroy();
      await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
