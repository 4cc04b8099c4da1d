import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { syncRequests } from './support/sync-requests.ts';

/** Deletions come from deleted_records; 30 days later cleanup_old_tombstones() purges them, and a client that could have missed one must reset. */

let h: ApiHarness;
let sync: ReturnType<typeof syncRequests>;
let userId: string;

const addRequest = (id: string) =>
  sql`insert into trophy_help_requests (profile_id, id, platform_id, platform_game_id) values (${userId}::uuid, ${id}, 3, '440')`.execute(h.db);
const deleteRequest = (id: string) => sql`delete from trophy_help_requests where profile_id = ${userId}::uuid and id = ${id}`.execute(h.db);

beforeAll(async () => {
  h = await createApiHarness({ app: { rateLimit: { clientSyncMax: 1_000 } } });
  sync = syncRequests(h);
  userId = await h.createUser();
});
afterAll(async () => {
  await h?.close();
});

describe('tombstones', () => {
  it('a deletion since lastPulledAt is in `deleted`; a record re-created after its tombstone is live, not deleted', async () => {
    await addRequest('gone');
    await addRequest('back');
    const first = await sync.pull(userId);
    await deleteRequest('gone');
    await deleteRequest('back');
    await addRequest('back');
    const next = await sync.pull(userId, first.timestamp);
    expect(next.changes.trophy_help_requests!.deleted).toEqual(['gone']);
    expect(next.changes.trophy_help_requests!.updated.map((r) => r.id)).toEqual(['back']);
    // A first pull carries no deletions at all.
    expect((await sync.pull(userId)).changes.trophy_help_requests!.deleted).toEqual([]);
  });

  it('cleanup_old_tombstones() purges tombstones older than 30 days; a watermark that may have missed one answers 409 sync_reset_required', async () => {
    await addRequest('old');
    const stale = await sync.pull(userId);
    await deleteRequest('old');
    const stamp = (await sql<{ sync_xid: number }>`select sync_xid from deleted_records where user_id = ${userId}::uuid and record_id = 'old'`.execute(h.db)).rows[0]!.sync_xid;
    let sawDeletion = await sync.pull(userId, stale.timestamp);
    expect(sawDeletion.changes.trophy_help_requests!.deleted).toContain('old');
    // A watermark is the oldest transaction still running anywhere in the cluster (other test files'
    // too): pull until it has passed the deletion, as a device syncing now and then would.
    for (let i = 0; i < 100 && sawDeletion.timestamp <= stamp; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      sawDeletion = await sync.pull(userId, sawDeletion.timestamp);
    }
    expect(sawDeletion.timestamp).toBeGreaterThan(stamp);

    await sql`update deleted_records set deleted_at = now() - interval '31 days' where user_id = ${userId}::uuid and record_id = 'old'`.execute(h.db);
    const purged = await sql<{ n: number }>`select public.cleanup_old_tombstones() as n`.execute(h.db);
    expect(purged.rows[0]!.n).toBeGreaterThanOrEqual(1);
    expect((await sql`select 1 from deleted_records where record_id = 'old'`.execute(h.db)).rows).toEqual([]);

    // The client that pulled before the deletion never saw it: reset.
    const refused = await sync.pullResponse(userId, stale.timestamp);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'sync_reset_required', reason: 'tombstones_purged', status: 409 });
    // The same for its push.
    const push = await sync.push(userId, { trophy_help_requests: { created: [], updated: [], deleted: ['x'] } }, stale.timestamp);
    expect(push.statusCode).toBe(409);
    expect(push.json()).toMatchObject({ code: 'sync_reset_required' });

    // The client that pulled after it carries on; and a reset (lastPulledAt null) always works.
    expect((await sync.pullResponse(userId, sawDeletion.timestamp)).statusCode).toBe(200);
    expect((await sync.pullResponse(userId, null)).statusCode).toBe(200);
    const audit = await sql<{ details: { purged_through_xid: number } }>`select details from cleanup_audit_log where action = 'cleanup_old_tombstones' order by id desc limit 1`.execute(h.db);
    expect(audit.rows[0]!.details.purged_through_xid).toBeGreaterThanOrEqual(stale.timestamp);
  });

  it('a lastPulledAt this server never issued (an old server\'s millisecond timestamp, another database) answers 409 sync_reset_required', async () => {
    const res = await sync.pullResponse(userId, Date.now());
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'sync_reset_required', reason: 'unknown_watermark' });
  });
});
