import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h.close();
});

async function liveRows(userId: string) {
  const { rows } = await sql<{ id: string; status: string; error_code: string | null }>`
    select id, status, error_code from sync_logs where user_id = ${userId}::uuid order by created_at`.execute(h.db);
  return rows;
}

describe('POST /sync/:platform', () => {
  it('queues a run and its job (ids only in the payload)', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'steam');
    const res = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(user), payload: { mode: 'full' } });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toEqual({ syncId: expect.any(String), status: 'queued', deduplicated: false });
    const rows = await liveRows(user);
    expect(rows).toEqual([{ id: body.syncId, status: 'queued', error_code: null }]);
    const job = await h.deps.queues.steam.getJob(body.syncId);
    expect(job?.data).toEqual({ syncId: body.syncId, userId: user, platform: 'steam', mode: 'full' });
  });

  it('accepts no body at all (mode defaults to incremental)', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'psn');
    const res = await h.app.inject({ method: 'POST', url: '/sync/psn', headers: await h.bearer(user) });
    expect(res.statusCode).toBe(202);
    const job = await h.deps.queues.psn.getJob(res.json().syncId);
    expect(job?.data.mode).toBe('incremental');
  });

  it('returns the live run with deduplicated: true and re-enqueues a lost job', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'xbox');
    const first = (await h.app.inject({ method: 'POST', url: '/sync/xbox', headers: await h.bearer(user) })).json();
    await (await h.deps.queues.xbox.getJob(first.syncId))!.remove();
    const second = await h.app.inject({ method: 'POST', url: '/sync/xbox', headers: await h.bearer(user) });
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual({ syncId: first.syncId, status: 'queued', deduplicated: true });
    expect(await h.deps.queues.xbox.getJob(first.syncId)).toBeTruthy();
    expect(await liveRows(user)).toHaveLength(1);
  });

  it('answers 409 account_not_linked without writing a row', async () => {
    const user = await h.createUser();
    const res = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(user) });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 409, code: 'account_not_linked' });
    expect(await liveRows(user)).toHaveLength(0);
  });

  it('rejects a bad mode naming the field, and an unknown platform', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'steam');
    const bad = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(user), payload: { mode: 'everything' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_failed' });
    expect(bad.json().detail).toContain('body.mode');
    const unknown = await h.app.inject({ method: 'POST', url: '/sync/gog', headers: await h.bearer(user) });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toContain('params.platform');
    const extra = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(user), payload: { mode: 'full', token: 'x' } });
    expect(extra.statusCode).toBe(400);
  });

  it('100 concurrent requests for one user → one row, one job, 100 identical syncIds', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'steam');
    const headers = await h.bearer(user);
    const responses = await Promise.all(Array.from({ length: 100 }, () => h.app.inject({ method: 'POST', url: '/sync/steam', headers })));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(100).fill(202));
    const ids = new Set(responses.map((r) => r.json().syncId));
    expect(ids.size).toBe(1);
    const [syncId] = [...ids];
    expect(responses.filter((r) => r.json().deduplicated === false)).toHaveLength(1);
    expect(await liveRows(user)).toHaveLength(1);
    const jobs = await h.deps.queues.steam.getJobs(['waiting', 'delayed', 'active', 'prioritized', 'wait']);
    expect(jobs.filter((j) => j.data.userId === user).map((j) => j.id)).toEqual([syncId]);
  });

  it('Idempotency-Key replays the first response and refuses reuse with another request', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'steam');
    await h.linkAccount(user, 'psn');
    const key = randomUUID();
    const headers = { ...(await h.bearer(user)), 'idempotency-key': key };
    const first = await h.app.inject({ method: 'POST', url: '/sync/steam', headers, payload: { mode: 'full' } });
    expect(first.statusCode).toBe(202);
    // The run finishes; without the key a new request would start a new run.
    await sql`update sync_logs set status = 'succeeded', finished_at = now() where id = ${first.json().syncId}::uuid`.execute(h.db);
    const replay = await h.app.inject({ method: 'POST', url: '/sync/steam', headers, payload: { mode: 'full' } });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await liveRows(user)).toHaveLength(1);
    const otherPlatform = await h.app.inject({ method: 'POST', url: '/sync/psn', headers, payload: { mode: 'full' } });
    expect(otherPlatform.statusCode).toBe(422);
    expect(otherPlatform.json().code).toBe('idempotency_key_reused');
    const otherBody = await h.app.inject({ method: 'POST', url: '/sync/steam', headers, payload: { mode: 'incremental' } });
    expect(otherBody.statusCode).toBe(422);
    // Another user's identical key is their own.
    const other = await h.createUser();
    await h.linkAccount(other, 'steam');
    const theirs = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: { ...(await h.bearer(other)), 'idempotency-key': key }, payload: { mode: 'full' } });
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json().syncId).not.toBe(first.json().syncId);
  });
});
