import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '@ach/db';
import { createTestDatabase, type TestDatabase } from '@ach/testing';

let t: TestDatabase;
let pool: pg.Pool;
let userA: string;
let userB: string;

/** Each user-owned table (and view) with the column that names the owner. */
const OWNED: [string, string][] = [
  ['users', 'id'],
  ['platform_accounts', 'user_id'],
  ['user_progress', 'user_id'],
  ['user_achievements', 'user_id'],
  ['sync_logs', 'user_id'],
  ['trophy_help_requests', 'profile_id'],
  ['flex_room_data', 'profile_id'],
  ['deleted_records', 'user_id'],
  ['profiles', 'id'],
  ['psn_sync_logs', 'user_id'],
];
const INTERNAL = ['user_sync_failures', 'user_sync_monitoring_log', 'cleanup_audit_log'];

async function seed(userId: string, n: number): Promise<void> {
  const statements: [string, unknown[]][] = [
    [`insert into public.platform_accounts (user_id, platform_id, external_account_id, credentials_ciphertext, credentials_key_id) values ($1, 1, $2, 'sealed-secret', 'k1')`, [userId, `psn-${n}`]],
    [`insert into public.user_progress (user_id, platform_id, platform_game_id) values ($1, 1, 'NPWR00001_00')`, [userId]],
    [`insert into public.user_achievements (user_id, platform_id, platform_game_id, platform_achievement_id, earned_at) values ($1, 1, 'NPWR00001_00', '1', now())`, [userId]],
    [`insert into public.sync_logs (user_id, platform_id) values ($1, 1)`, [userId]],
    [`insert into public.trophy_help_requests (id, profile_id, platform_id, platform_game_id) values ($2, $1, 1, 'NPWR00001_00')`, [userId, `help-${n}`]],
    [`insert into public.flex_room_data (id, profile_id) values ($2, $1)`, [userId, `flex-${n}`]],
    [`insert into public.deleted_records (user_id, table_name, record_id) values ($1, 'trophy_help_requests', $2)`, [userId, `gone-${n}`]],
  ];
  for (const [text, values] of statements) await pool.query(text, values);
}

/** Runs fn in a transaction as `role` with the JWT claims Supabase would set, then rolls back. */
async function as<T>(role: 'authenticated' | 'anon' | 'service_role', sub: string | null, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local role ${role}`);
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(sub ? { sub, role } : { role })]);
    return await fn(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  pool = createPool(t.url, { max: 4 });
  const { rows } = await pool.query<{ id: string }>(`insert into auth.users (email) values ('alice@example.com'), ('bob@example.com') returning id`);
  [userA, userB] = [rows[0]!.id, rows[1]!.id];
  await pool.query(`insert into public.games (platform_id, platform_game_id, name) values (1, 'NPWR00001_00', 'Game')`);
  await pool.query(`insert into public.achievements (platform_id, platform_game_id, platform_achievement_id, name) values (1, 'NPWR00001_00', '1', 'First')`);
  await seed(userA, 1);
  await seed(userB, 2);
  await pool.query(`insert into public.user_sync_failures (user_id, operation) values ($1, 'insert')`, [userA]);
});
afterAll(async () => {
  await pool?.end();
  await t?.drop();
});

describe('row-level security', () => {
  it('reads the request\'s JWT claims with auth.uid(), auth.role() and auth.jwt()', async () => {
    const claims = await as('authenticated', userA, (c) => c.query('select auth.uid() as uid, auth.role() as role, auth.jwt() ->> \'sub\' as sub'));
    expect(claims.rows).toEqual([{ uid: userA, role: 'authenticated', sub: userA }]);
    // The legacy per-claim setting that older PostgREST versions set.
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('request.jwt.claim.sub', $1, true), set_config('request.jwt.claim.role', 'anon', true)`, [userB]);
      const legacy = await client.query('select auth.uid() as uid, auth.role() as role');
      expect(legacy.rows).toEqual([{ uid: userB, role: 'anon' }]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('shows an authenticated user their own rows and nobody else\'s, in every user-owned table and view', async () => {
    await as('authenticated', userA, async (c) => {
      for (const [table, owner] of OWNED) {
        const { rows } = await c.query<{ owner: string }>(`select ${owner}::text as owner from public.${table}`);
        expect(rows.length, table).toBeGreaterThan(0);
        expect(new Set(rows.map((r) => r.owner)), table).toEqual(new Set([userA]));
      }
    });
  });

  it('lets service_role see every row', async () => {
    await as('service_role', null, async (c) => {
      for (const [table, owner] of OWNED) {
        const { rows } = await c.query<{ owner: string }>(`select distinct ${owner}::text as owner from public.${table}`);
        expect(new Set(rows.map((r) => r.owner)), table).toEqual(new Set([userA, userB]));
      }
      const failures = await c.query('select 1 from public.user_sync_failures');
      expect(failures.rowCount).toBe(1);
    });
  });

  it('shows anon nothing of the users\' data but lets it read reference data', async () => {
    for (const [table] of OWNED) {
      await expect(as('anon', null, (c) => c.query(`select 1 from public.${table}`)), table).rejects.toMatchObject({ code: '42501' });
    }
    await as('anon', null, async (c) => {
      for (const table of ['platforms', 'games', 'achievements']) {
        const { rowCount } = await c.query(`select 1 from public.${table}`);
        expect(rowCount, table).toBeGreaterThan(0);
      }
    });
  });

  it('hides the monitoring and failure tables from authenticated users', async () => {
    for (const table of INTERNAL) {
      await expect(as('authenticated', userA, (c) => c.query(`select 1 from public.${table}`)), table).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('never lets an authenticated user read stored credentials, even their own', async () => {
    await expect(as('authenticated', userA, (c) => c.query('select credentials_ciphertext from public.platform_accounts'))).rejects.toMatchObject({ code: '42501' });
    await expect(as('authenticated', userA, (c) => c.query('select credentials_key_id from public.platform_accounts'))).rejects.toMatchObject({ code: '42501' });
    const visible = await as('authenticated', userA, (c) => c.query('select external_account_id, sync_status from public.platform_accounts'));
    expect(visible.rows).toEqual([{ external_account_id: 'psn-1', sync_status: 'idle' }]);
  });

  it('lets a user write their own trophy help requests and flex room, not someone else\'s', async () => {
    await as('authenticated', userA, async (c) => {
      await c.query(`insert into public.trophy_help_requests (id, profile_id, platform_id, platform_game_id, message) values ('mine', $1, 1, 'NPWR00001_00', 'help')`, [userA]);
      const updated = await c.query(`update public.trophy_help_requests set status = 'resolved' where id in ('mine', 'help-2')`);
      expect(updated.rowCount).toBe(1);
      const deleted = await c.query(`delete from public.flex_room_data where id in ('flex-1', 'flex-2')`);
      expect(deleted.rowCount).toBe(1);
    });
    await expect(as('authenticated', userA, (c) =>
      c.query(`insert into public.trophy_help_requests (id, profile_id, platform_id, platform_game_id) values ('theirs', $1, 1, 'NPWR00001_00')`, [userB]),
    )).rejects.toMatchObject({ code: '42501' });
    await expect(as('authenticated', userA, (c) =>
      c.query(`update public.trophy_help_requests set profile_id = $1 where id = 'help-1'`, [userB]),
    )).rejects.toMatchObject({ code: '42501' });
  });

  it('does not let an authenticated user write the tables the services own', async () => {
    for (const statement of [
      `update public.users set username = 'hijack'`,
      `insert into public.sync_logs (user_id, platform_id) values ('00000000-0000-4000-8000-000000000000', 1)`,
      `delete from public.user_achievements`,
      `update public.platform_accounts set sync_status = 'failed'`,
    ]) {
      await expect(as('authenticated', userA, (c) => c.query(statement)), statement).rejects.toMatchObject({ code: '42501' });
    }
  });
});
