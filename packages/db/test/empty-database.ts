import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { withDatabase } from '@ach/testing';

export interface EmptyDatabase {
  url: string;
  /** Runs SQL in the database on a short-lived connection. */
  query: <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;
  drop: () => Promise<void>;
}

async function asAdmin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A database with nothing in it (not the migrated template), for tests of the migrations themselves. */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  const name = `ach_t_${inject('testRunId')}_empty_${randomBytes(4).toString('hex')}`;
  await asAdmin(`create database "${name}"`);
  const url = withDatabase(inject('postgresAdminUrl'), name);
  return {
    url,
    query: async (text, values) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(text, values);
      } finally {
        await client.end();
      }
    },
    drop: () => asAdmin(`drop database if exists "${name}" with (force)`),
  };
}
