import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { steamLibrary, seedSteamLibrary } from './support/library-seed.ts';
import { idsOf, syncRequests } from './support/sync-requests.ts';

/**
 * The API connects as the table owner and bypasses RLS: the repository's WHERE clauses are the
 * only isolation between users. Two users with overlapping games, records and client ids.
 */

let h: ApiHarness;
let sync: ReturnType<typeof syncRequests>;
let alice: string;
let bob: string;

/** Everything of Bob's, as rows, to compare before and after Alice's attempts. */
const bobsRows = async () => ({
  help: (await sql`select id, message, status, sync_xid from trophy_help_requests where profile_id = ${bob}::uuid order by id`.execute(h.db)).rows,
  flex: (await sql`select id, showcase, sync_xid from flex_room_data where profile_id = ${bob}::uuid`.execute(h.db)).rows,
  profile: (await sql`select username, display_name, avatar_url, sync_xid from users where id = ${bob}::uuid`.execute(h.db)).rows,
  progress: (await sql`select count(*)::int as n from user_progress where user_id = ${bob}::uuid`.execute(h.db)).rows,
});

beforeAll(async () => {
  h = await createApiHarness({ app: { rateLimit: { clientSyncMax: 1_000 } } });
  sync = syncRequests(h);
  alice = await h.createUser();
  bob = await h.createUser();
  await h.linkAccount(alice, 'steam');
  await h.linkAccount(bob, 'steam');
  await h.linkAccount(bob, 'psn');
  // Shared game 440; Bob alone has 441 (and its achievements).
  await seedSteamLibrary(h.db, alice, steamLibrary({ games: 1, achievements: 3, earned: 1 }));
  await seedSteamLibrary(h.db, bob, steamLibrary({ games: 2, achievements: 3, earned: 3 }));
  await sql`insert into sync_logs (user_id, platform_id, status) values (${bob}::uuid, 3, 'succeeded')`.execute(h.db);
  await sql`insert into trophy_help_requests (profile_id, id, platform_id, platform_game_id, message) values (${bob}::uuid, 'shared-id', 3, '440', 'bob secret'), (${bob}::uuid, 'bob-only', 3, '441', 'bob')`.execute(h.db);
  await sql`insert into flex_room_data (profile_id, id, showcase) values (${bob}::uuid, 'bob-flex', '{"pinned":["3:441"]}')`.execute(h.db);
  // A tombstone of Bob's.
  await sql`insert into trophy_help_requests (profile_id, id, platform_id, platform_game_id) values (${bob}::uuid, 'bob-deleted', 3, '440')`.execute(h.db);
  await sql`delete from trophy_help_requests where profile_id = ${bob}::uuid and id = 'bob-deleted'`.execute(h.db);
});
afterAll(async () => {
  await h?.close();
});

describe('isolation between users', () => {
  it('a pull never contains another user\'s rows: first pull, incremental pull, deletions', async () => {
    const first = await sync.pull(alice);
    expect(idsOf(first, 'user_profile')).toEqual([alice]);
    expect(idsOf(first, 'games')).toEqual(['3:440']);
    expect(idsOf(first, 'achievements')).toEqual(['3:440:ACH_0', '3:440:ACH_1', '3:440:ACH_2']);
    expect(idsOf(first, 'user_achievements')).toEqual(['3:440:ACH_0']);
    expect(idsOf(first, 'platform_accounts')).toEqual(['3']);
    expect(idsOf(first, 'sync_logs')).toEqual([]);
    expect(idsOf(first, 'trophy_help_requests')).toEqual([]);
    expect(idsOf(first, 'flex_room_data')).toEqual([]);
    const text = JSON.stringify(first);
    expect(text).not.toContain(bob);
    expect(text).not.toContain('bob');

    // Bob's activity after Alice's pull: none of it reaches her, deletions included.
    await sql`update trophy_help_requests set message = 'bob edit' where profile_id = ${bob}::uuid and id = 'shared-id'`.execute(h.db);
    await sql`delete from trophy_help_requests where profile_id = ${bob}::uuid and id = 'bob-only'`.execute(h.db);
    await sql`delete from user_progress where user_id = ${bob}::uuid and platform_game_id = '440'`.execute(h.db);
    const next = await sync.pull(alice, first.timestamp);
    for (const [table, change] of Object.entries(next.changes)) {
      expect(change.deleted, table).toEqual([]);
      expect(JSON.stringify(change.updated), table).not.toContain('bob');
    }
    // Alice still has 440: Bob losing it is not her deletion.
    expect(next.changes.games!.deleted).toEqual([]);
  });

  it('a push naming another user\'s records changes nothing of theirs: update refused, delete a no-op, create lands in the caller\'s own namespace', async () => {
    const { timestamp } = await sync.pull(alice);
    const before = await bobsRows();

    const update = await sync.push(alice, { trophy_help_requests: { created: [], updated: [{ id: 'shared-id', profile_id: bob, platform_id: 3, platform_game_id: '440', message: 'hacked', status: 'resolved' }], deleted: [] } }, timestamp);
    expect(update.statusCode).toBe(409);
    expect(update.json()).toMatchObject({ code: 'conflict', conflicts: [{ table: 'trophy_help_requests', id: 'shared-id', reason: 'unknown' }] });
    // The refusal is the same as for an id nobody has: it reveals nothing about Bob.
    expect(update.json().detail).not.toContain('bob');

    const del = await sync.push(alice, { trophy_help_requests: { created: [], updated: [], deleted: ['shared-id'] }, flex_room_data: { created: [], updated: [], deleted: ['bob-flex'] } }, timestamp);
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ success: true, stats: { created: 0, updated: 0, deleted: 0 } });

    const create = await sync.push(alice, { trophy_help_requests: { created: [{ id: 'shared-id', profile_id: bob, platform_id: 3, platform_game_id: '440', message: 'mine', status: 'open' }], updated: [], deleted: [] } }, timestamp);
    expect(create.statusCode).toBe(200);
    expect(create.json().stats).toEqual({ created: 1, updated: 0, deleted: 0 });
    const owners = await sql<{ profile_id: string; message: string }>`select profile_id, message from trophy_help_requests where id = 'shared-id' order by message`.execute(h.db);
    // profile_id forced to the caller: two records with one id, one per user.
    expect(owners.rows).toEqual([{ profile_id: bob, message: 'bob edit' }, { profile_id: alice, message: 'mine' }].sort((a, b) => a.message.localeCompare(b.message)));

    const profile = await sync.push(alice, { user_profile: { created: [], updated: [{ id: bob, username: 'taken_over' }], deleted: [] } }, timestamp);
    expect(profile.statusCode).toBe(403);
    expect(profile.json()).toMatchObject({ code: 'read_only_table', detail: expect.stringContaining('user_profile') });

    expect(await bobsRows()).toEqual(before);
  });

  it('a push touching a read-only table is refused whole with 403 naming it, and changes nothing', async () => {
    const { timestamp } = await sync.pull(alice);
    const helpBefore = (await sql`select count(*)::int as n from trophy_help_requests where profile_id = ${alice}::uuid`.execute(h.db)).rows;
    for (const table of ['games', 'achievements', 'user_progress', 'user_achievements', 'platform_accounts', 'sync_logs']) {
      const res = await sync.push(alice, {
        trophy_help_requests: { created: [{ id: `with-${table}`, platform_id: 3, platform_game_id: '440', status: 'open' }], updated: [], deleted: [] },
        [table]: { created: [], updated: [{ id: '3:440', name: 'renamed' }], deleted: ['3:441'] },
      }, timestamp);
      expect(res.statusCode, table).toBe(403);
      expect(res.json(), table).toMatchObject({ code: 'read_only_table', detail: expect.stringContaining(table) });
    }
    const unknown = await sync.push(alice, { secrets: { created: [{ id: 'x' }], updated: [], deleted: [] } }, timestamp);
    expect(unknown.statusCode).toBe(403);
    // Empty change sets of read-only tables are what WatermelonDB sends for untouched tables: fine.
    const empty = await sync.push(alice, { games: { created: [], updated: [], deleted: [] } }, timestamp);
    expect(empty.statusCode).toBe(200);

    expect((await sql`select count(*)::int as n from trophy_help_requests where profile_id = ${alice}::uuid`.execute(h.db)).rows).toEqual(helpBefore);
    expect((await sql`select name from games where platform_game_id = '440'`.execute(h.db)).rows).toEqual([{ name: 'Game 440' }]);
    expect((await sql`select count(*)::int as n from user_progress where user_id = ${bob}::uuid and platform_game_id = '441'`.execute(h.db)).rows).toEqual([{ n: 1 }]);
  });
});
