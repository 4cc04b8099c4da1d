import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { syncRequests } from './support/sync-requests.ts';

/** What a push does with each kind of change, and that a refused push applies nothing. */

let h: ApiHarness;
let sync: ReturnType<typeof syncRequests>;
let userId: string;

const request = (id: string, extra: Record<string, unknown> = {}) => ({ id, profile_id: 'ignored', platform_id: 3, platform_game_id: '440', message: `m-${id}`, status: 'open', _status: 'created', _changed: '', ...extra });
const latestStamp = async () =>
  (await sql<{ n: number }>`select coalesce(max(sync_xid), 0) as n from trophy_help_requests where profile_id = ${userId}::uuid`.execute(h.db)).rows[0]!.n;
const helpRows = async (user = userId) =>
  (await sql<{ id: string; message: string | null; status: string }>`select id, message, status from trophy_help_requests where profile_id = ${user}::uuid order by id`.execute(h.db)).rows;

beforeAll(async () => {
  h = await createApiHarness({ app: { rateLimit: { clientSyncMax: 1_000 } } });
  sync = syncRequests(h);
  userId = await h.createUser();
});
afterAll(async () => {
  await h?.close();
});

describe('push', () => {
  it('creates, updates and deletes in one go and counts them; profile_id is the caller', async () => {
    const { timestamp } = await sync.pull(userId);
    const res = await sync.push(userId, { trophy_help_requests: { created: [request('a'), request('b')], updated: [], deleted: [] } }, timestamp);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, stats: { created: 2, updated: 0, deleted: 0 } });
    // A deletion carries no version: it is judged by the watermark, so wait until it has passed the writes.
    const pulled = await sync.pullPast(userId, await latestStamp(), timestamp);
    const a = (await sync.pull(userId)).changes.trophy_help_requests!.updated.find((r) => r.id === 'a')!;
    expect(a).toMatchObject({ profile_id: userId, sync_version: expect.any(Number) });

    const next = await sync.push(userId, {
      trophy_help_requests: { created: [], updated: [{ ...a, message: 'edited', _status: 'updated' }], deleted: ['b', 'never-existed'] },
    }, pulled.timestamp);
    expect(next.json()).toEqual({ success: true, stats: { created: 0, updated: 1, deleted: 1 } });
    expect(await helpRows()).toEqual([{ id: 'a', message: 'edited', status: 'open' }]);
  });

  it('a created record that already exists is updated (WatermelonDB resends a push whose answer it lost)', async () => {
    const { timestamp } = await sync.pull(userId);
    const once = await sync.push(userId, { trophy_help_requests: { created: [request('resent', { message: 'v1' })], updated: [], deleted: [] } }, timestamp);
    expect(once.statusCode).toBe(200);
    // The answer is lost; the app pulls (merging the server's copy, version included) and pushes again.
    const pulled = await sync.pull(userId, timestamp);
    const version = pulled.changes.trophy_help_requests!.updated.find((r) => r.id === 'resent')!.sync_version;
    const again = await sync.push(userId, { trophy_help_requests: { created: [request('resent', { message: 'v2', sync_version: version })], updated: [], deleted: [] } }, pulled.timestamp);
    expect(again.statusCode).toBe(200);
    expect(again.json().stats).toEqual({ created: 0, updated: 1, deleted: 0 });
    expect((await helpRows()).find((r) => r.id === 'resent')).toMatchObject({ message: 'v2' });
  });

  it('a record changed on the server after the pull fails the whole push with 409 conflict, and nothing of it is applied', async () => {
    const { timestamp } = await sync.pull(userId);
    const pulled = await sync.pull(userId);
    const a = pulled.changes.trophy_help_requests!.updated.find((r) => r.id === 'a')!;
    await sql`update trophy_help_requests set status = 'resolved' where profile_id = ${userId}::uuid and id = 'a'`.execute(h.db);
    const before = await helpRows();
    const res = await sync.push(userId, {
      trophy_help_requests: { created: [request('c')], updated: [{ ...a, message: 'stale edit' }], deleted: ['resent'] },
      flex_room_data: { created: [{ id: 'flex', showcase: '{"pinned":[]}' }], updated: [], deleted: [] },
    }, timestamp);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'conflict' });
    expect(res.json().conflicts).toContainEqual({ table: 'trophy_help_requests', id: 'a', reason: 'changed' });
    expect(await helpRows()).toEqual(before);
    expect((await sql`select 1 from flex_room_data where profile_id = ${userId}::uuid`.execute(h.db)).rows).toEqual([]);
  });

  it('an update of a record deleted on the server conflicts (deleted); a deletion of a record changed since the pull conflicts (changed)', async () => {
    const pulled = await sync.pull(userId);
    const a = pulled.changes.trophy_help_requests!.updated.find((r) => r.id === 'a')!;
    const resent = pulled.changes.trophy_help_requests!.updated.find((r) => r.id === 'resent')!;
    await sql`delete from trophy_help_requests where profile_id = ${userId}::uuid and id = 'resent'`.execute(h.db);
    const update = await sync.push(userId, { trophy_help_requests: { created: [], updated: [{ ...resent, message: 'too late' }], deleted: [] } }, pulled.timestamp);
    expect(update.json()).toMatchObject({ code: 'conflict', conflicts: [{ id: 'resent', reason: 'deleted' }] });

    await sql`update trophy_help_requests set message = 'server edit' where profile_id = ${userId}::uuid and id = 'a'`.execute(h.db);
    const del = await sync.push(userId, { trophy_help_requests: { created: [], updated: [], deleted: [a.id] } }, pulled.timestamp);
    expect(del.json()).toMatchObject({ code: 'conflict', conflicts: [{ id: 'a', reason: 'changed' }] });
    expect((await helpRows()).map((r) => r.id)).toContain('a');
  });

  it('profile: username, display name and avatar are written; a taken username is 409 username_taken; a stale version conflicts', async () => {
    const other = await h.createUser();
    await sql`update users set username = 'someone_else' where id = ${other}::uuid`.execute(h.db);
    const pulled = await sync.pull(userId);
    const me = pulled.changes.user_profile!.updated[0]!;
    const ok = await sync.push(userId, { user_profile: { created: [], updated: [{ ...me, username: 'new_name', display_name: '', avatar_url: 'https://cdn.example/a.png', email: 'ignored@example.test' }], deleted: [] } }, pulled.timestamp);
    expect(ok.json()).toEqual({ success: true, stats: { created: 0, updated: 1, deleted: 0 } });
    const row = await sql`select username, display_name, avatar_url, email from users where id = ${userId}::uuid`.execute(h.db);
    expect(row.rows[0]).toMatchObject({ username: 'new_name', display_name: null, avatar_url: 'https://cdn.example/a.png' });
    expect((row.rows[0] as { email: string | null }).email).not.toBe('ignored@example.test');

    const again = await sync.pull(userId);
    const fresh = again.changes.user_profile!.updated[0]!;
    const taken = await sync.push(userId, { user_profile: { created: [], updated: [{ ...fresh, username: 'someone_else' }], deleted: [] } }, again.timestamp);
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'username_taken' });

    const stale = await sync.push(userId, { user_profile: { created: [], updated: [{ ...me, display_name: 'stale' }], deleted: [] } }, pulled.timestamp);
    expect(stale.json()).toMatchObject({ code: 'conflict', conflicts: [{ table: 'user_profile', reason: 'changed' }] });
  });

  it('bad records are 400 naming the field, never 500', async () => {
    const { timestamp } = await sync.pull(userId);
    const cases: [Record<string, unknown>, string][] = [
      [{ trophy_help_requests: { created: [request('x', { platform_id: 9 })], updated: [], deleted: [] } }, 'body.changes.trophy_help_requests.created.0.platform_id'],
      [{ trophy_help_requests: { created: [request('x', { status: 'closed' })], updated: [], deleted: [] } }, 'body.changes.trophy_help_requests.created.0.status'],
      [{ trophy_help_requests: { created: [request('bad id!')], updated: [], deleted: [] } }, 'body.changes.trophy_help_requests.created.0.id'],
      [{ trophy_help_requests: { created: [request('dup')], updated: [], deleted: ['dup'] } }, 'body.changes.trophy_help_requests'],
      [{ flex_room_data: { created: [{ id: 'f', showcase: '[1,2]' }], updated: [], deleted: [] } }, 'body.changes.flex_room_data.created.0.showcase'],
      [{ flex_room_data: { created: [{ id: 'f', showcase: '{not json' }], updated: [], deleted: [] } }, 'body.changes.flex_room_data.created.0.showcase'],
      [{ user_profile: { created: [], updated: [{ id: userId, username: 'No Caps' }], deleted: [] } }, 'body.changes.user_profile.updated.0.username'],
      [{ user_profile: { created: [], updated: [{ id: userId, avatar_url: 'javascript:alert(1)' }], deleted: [] } }, 'body.changes.user_profile.updated.0.avatar_url'],
    ];
    for (const [changes, field] of cases) {
      const res = await sync.push(userId, changes, timestamp);
      expect(res.statusCode, field).toBe(400);
      expect(res.json().invalidParams.map((p: { name: string }) => p.name), field).toContain(field);
    }
    const noTimestamp = await h.app.inject({ method: 'POST', url: '/sync-push', headers: await h.bearer(userId), payload: { changes: {} } });
    expect(noTimestamp.statusCode).toBe(400);
    const badPull = await sync.pullResponse(userId, -1);
    expect(badPull.statusCode).toBe(400);
  });
});
