import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '@ach/db';
import { createTestDatabase, type TestDatabase } from '@ach/testing';

let t: TestDatabase;
let pool: pg.Pool;
let userId: string;

async function tombstones(user = userId) {
  const { rows } = await pool.query<{ table_name: string; record_id: string; deleted_at: Date }>(
    'select table_name, record_id, deleted_at from public.deleted_records where user_id = $1 order by table_name, record_id', [user]);
  return rows;
}

async function seedRows(user: string): Promise<void> {
  await pool.query(`insert into public.platform_accounts (user_id, platform_id, external_account_id) values ($1, 2, '2533274800000000')`, [user]);
  await pool.query(`insert into public.user_progress (user_id, platform_id, platform_game_id) values ($1, 2, '219630713')`, [user]);
  await pool.query(`insert into public.user_achievements (user_id, platform_id, platform_game_id, platform_achievement_id) values ($1, 2, '219630713', '7')`, [user]);
  await pool.query(`insert into public.trophy_help_requests (id, profile_id, platform_id, platform_game_id) values ($2, $1, 2, '219630713')`, [user, `help-${user}`]);
  await pool.query(`insert into public.flex_room_data (id, profile_id) values ($2, $1)`, [user, `flex-${user}`]);
}

beforeAll(async () => {
  t = await createTestDatabase();
  pool = createPool(t.url, { max: 4 });
  const { rows } = await pool.query<{ id: string }>(`insert into auth.users (email) values ('deleter@example.com') returning id`);
  userId = rows[0]!.id;
  await pool.query(`insert into public.games (platform_id, platform_game_id, name) values (2, '219630713', 'Halo')`);
  await pool.query(`insert into public.achievements (platform_id, platform_game_id, platform_achievement_id, name)
    select 2, '219630713', g::text, 'A' || g from generate_series(1, 3000) g`);
});
afterAll(async () => {
  await pool?.end();
  await t?.drop();
});
beforeEach(async () => {
  await pool.query('delete from public.deleted_records');
});

describe('record_deletion tombstones', () => {
  it('leaves one tombstone with the client record id for a delete from each synced table', async () => {
    await seedRows(userId);
    for (const table of ['user_achievements', 'user_progress', 'platform_accounts', 'trophy_help_requests', 'flex_room_data']) {
      await pool.query(`delete from public.${table}`);
    }
    expect((await tombstones()).map((r) => [r.table_name, r.record_id])).toEqual([
      ['flex_room_data', `flex-${userId}`],
      ['platform_accounts', '2'],
      ['trophy_help_requests', `help-${userId}`],
      ['user_achievements', '2:219630713:7'],
      ['user_progress', '2:219630713'],
    ]);
  });

  it('moves deleted_at forward when a re-inserted record is deleted again', async () => {
    await pool.query(`insert into public.user_progress (user_id, platform_id, platform_game_id) values ($1, 2, '219630713')`, [userId]);
    await pool.query('delete from public.user_progress where user_id = $1', [userId]);
    const [first] = await tombstones();
    await pool.query(`update public.deleted_records set deleted_at = now() - interval '1 hour'`);
    await pool.query(`insert into public.user_progress (user_id, platform_id, platform_game_id) values ($1, 2, '219630713')`, [userId]);
    await pool.query('delete from public.user_progress where user_id = $1', [userId]);
    const after = await tombstones();
    expect(after).toHaveLength(1);
    expect(after[0]!.record_id).toBe(first!.record_id);
    expect(after[0]!.deleted_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records every row of a bulk delete, as a full resync does', async () => {
    await pool.query(`insert into public.user_achievements (user_id, platform_id, platform_game_id, platform_achievement_id)
      select $1, 2, '219630713', g::text from generate_series(1, 3000) g`, [userId]);
    const deleted = await pool.query('delete from public.user_achievements where user_id = $1', [userId]);
    expect(deleted.rowCount).toBe(3000);
    const { rows } = await pool.query<{ count: number; distinct_ids: number }>(
      `select count(*)::int as count, count(distinct record_id)::int as distinct_ids from public.deleted_records where user_id = $1 and table_name = 'user_achievements'`, [userId]);
    expect(rows[0]).toEqual({ count: 3000, distinct_ids: 3000 });
  });

  it('records the child rows a deleted account takes with it', async () => {
    const { rows } = await pool.query<{ id: string }>(`insert into auth.users (email) values ('leaver@example.com') returning id`);
    const leaver = rows[0]!.id;
    await seedRows(leaver);
    await pool.query('delete from auth.users where id = $1', [leaver]);
    expect((await tombstones(leaver)).map((r) => r.table_name)).toEqual([
      'flex_room_data', 'platform_accounts', 'trophy_help_requests', 'user_achievements', 'user_progress',
    ]);
  });

  it('records a delete made by the app under row-level security', async () => {
    await pool.query(`insert into public.trophy_help_requests (id, profile_id, platform_id, platform_game_id) values ('app-delete', $1, 2, '219630713')`, [userId]);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('set local role authenticated');
      await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: userId, role: 'authenticated' })]);
      const deleted = await client.query(`delete from public.trophy_help_requests where id = 'app-delete'`);
      expect(deleted.rowCount).toBe(1);
      await client.query('commit');
    } finally {
      client.release();
    }
    expect((await tombstones()).map((r) => r.record_id)).toEqual(['app-delete']);
  });
});

describe('cleanup_old_tombstones', () => {
  it('removes only tombstones older than 30 days, returns the count and audits the run', async () => {
    await pool.query(`insert into public.deleted_records (user_id, table_name, record_id, deleted_at)
      select $1::uuid, 'user_progress', 'old-' || g, now() - interval '31 days' from generate_series(1, 3) g
      union all select $1, 'user_progress', 'edge', now() - interval '29 days 23 hours'
      union all select $1, 'user_progress', 'new', now()`, [userId]);
    const { rows } = await pool.query<{ removed: number }>('select public.cleanup_old_tombstones() as removed');
    expect(rows[0]!.removed).toBe(3);
    expect((await tombstones()).map((r) => r.record_id)).toEqual(['edge', 'new']);
    const audit = await pool.query<{ action: string; affected_count: number }>(
      `select action, affected_count from public.cleanup_audit_log where action = 'cleanup_old_tombstones' order by id desc limit 1`);
    expect(audit.rows).toEqual([{ action: 'cleanup_old_tombstones', affected_count: 3 }]);
  });
});
