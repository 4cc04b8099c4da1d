import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@ach/db';
import { createTestDatabase, type TestDatabase } from '@ach/testing';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe('a pooled connection lost to a Postgres restart', () => {
  it('while checked out (a transaction between statements): the transaction fails, the process goes on, the pool reconnects', async () => {
    const db = createDb(t.url, { max: 2 });
    const admin = createDb(t.url, { max: 1 });
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    // Without the pool's listener this is where the client's 'error' would end the process.
    process.on('uncaughtException', record);
    try {
      const outcome = await db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          // What a restart does to this backend, without restarting the server other tests use.
          await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(admin);
          await new Promise((resolve) => setTimeout(resolve, 300));
          return sql`select 1`.execute(trx);
        })
        .then(() => 'committed', (error: Error) => error.message);
      expect(outcome).not.toBe('committed');
      expect(uncaught).toEqual([]);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', record);
      await db.destroy();
      await admin.destroy();
    }
  });
});
