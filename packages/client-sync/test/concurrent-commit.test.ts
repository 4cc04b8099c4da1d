import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { pullChanges, pullResponseBody, type PullChangesResult } from '../src/index.ts';

/**
 * No missed changes: a row written by a transaction that is still open while a pull runs, and
 * commits after it, must be in the next pull, although its updated_at (the transaction's start)
 * is older than the pull. Also: what set_updated_at_and_sync_xid() and the column defaults stamp.
 */

let t: TestDatabase;
let writer: pg.Client;
let userId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  writer = new pg.Client({ connectionString: t.url });
  await writer.connect();
  const { rows } = await sql<{ id: string }>`insert into auth.users (email) values ('racer@example.test') returning id`.execute(t.db);
  userId = rows[0]!.id;
  await sql`insert into public.users (id, username) values (${userId}::uuid, 'racer') on conflict (id) do nothing`.execute(t.db);
  await sql`insert into trophy_help_requests (profile_id, id, platform_id, platform_game_id, message) values (${userId}::uuid, 'req-1', 3, '440', 'first')`.execute(t.db);
});
afterAll(async () => {
  await writer?.end();
  await t?.drop();
});

const changesOf = (result: PullChangesResult) => {
  if (result.kind !== 'changes') throw new Error(`expected changes, got ${result.kind}`);
  return JSON.parse(pullResponseBody(result.timestamp, result.tables)) as {
    changes: Record<string, { updated: { id: string; message?: string; updated_at: number }[]; deleted: string[] }>;
    timestamp: number;
  };
};
const pull = async (watermark: number) => changesOf(await pullChanges(t.db, { userId, watermark }));

describe('a writing transaction open across a pull', () => {
  it('its row is in the next pull, though its updated_at is older than the pull it missed', async () => {
    const first = await pull(0);
    expect(first.changes.trophy_help_requests!.updated.map((r) => r.id)).toEqual(['req-1']);

    // begin; update — and keep it open while the app pulls.
    await writer.query('begin');
    await writer.query(`update trophy_help_requests set message = 'edited in a long transaction' where id = 'req-1'`);
    await writer.query(`insert into trophy_help_requests (profile_id, id, platform_id, platform_game_id, message) values ($1, 'req-2', 3, '440', 'also late')`, [userId]);
    // Meanwhile a short transaction commits: the pull sees it, and "the last transaction seen" moves past the open one.
    await sql`insert into trophy_help_requests (profile_id, id, platform_id, platform_game_id, message) values (${userId}::uuid, 'req-quick', 3, '440', 'quick')`.execute(t.db);
    const during = await pull(first.timestamp);
    // The open transaction's rows are not visible yet; the quick one's is. (req-1 may come again as it
    // was: a watermark only errs on the side of resending, e.g. while other databases' transactions run.)
    const seen = during.changes.trophy_help_requests!.updated;
    expect(seen.map((r) => r.id)).toContain('req-quick');
    expect(seen.filter((r) => r.id !== 'req-quick').map((r) => [r.id, r.message])).toEqual(seen.some((r) => r.id === 'req-1') ? [['req-1', 'first']] : []);
    const pulledAt = Date.now();
    await writer.query('commit');

    const after = await pull(during.timestamp);
    const rows = after.changes.trophy_help_requests!.updated;
    const late = rows.filter((r) => r.id !== 'req-quick');
    expect(late.map((r) => [r.id, r.message]).sort()).toEqual([['req-1', 'edited in a long transaction'], ['req-2', 'also late']]);
    // The premise: a filter on updated_at after the pull would have missed both.
    for (const row of late) expect(row.updated_at).toBeLessThan(pulledAt);
  });

  it('a deletion committed after the pull by a transaction that began before it reaches the next pull', async () => {
    const before = await pull(0);
    await writer.query('begin');
    await writer.query(`select now()`);
    await writer.query(`delete from trophy_help_requests where id = 'req-2'`);
    await sql`update trophy_help_requests set message = 'quick again' where id = 'req-quick'`.execute(t.db);
    const during = await pull(before.timestamp);
    expect(during.changes.trophy_help_requests!.deleted).toEqual([]);
    await writer.query('commit');
    const after = await pull(during.timestamp);
    expect(after.changes.trophy_help_requests!.deleted).toEqual(['req-2']);
  });

  it('stamps inserts with the inserting transaction and updates with the updating one (set_updated_at_and_sync_xid)', async () => {
    await writer.query('begin');
    const { rows: [tx] } = await writer.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
    await writer.query(`update trophy_help_requests set status = 'resolved' where id = 'req-1'`);
    const { rows: [row] } = await writer.query<{ sync_xid: string }>(`select sync_xid::text from trophy_help_requests where id = 'req-1'`);
    await writer.query('commit');
    expect(row!.sync_xid).toBe(tx!.xid);
    await sql`insert into games (platform_id, platform_game_id, name) values (3, '440', 'Game')`.execute(t.db);
    const { rows: [progress] } = await sql<{ sync_xid: number; sync_created_xid: number; now: number }>`
      with ins as (insert into user_progress (user_id, platform_id, platform_game_id) values (${userId}::uuid, 3, '440') returning sync_xid, sync_created_xid)
      select sync_xid, sync_created_xid, pg_current_xact_id()::text::bigint as now from ins`.execute(t.db);
    expect(progress!.sync_xid).toBe(progress!.now);
    expect(progress!.sync_created_xid).toBe(progress!.now);
  });
});
