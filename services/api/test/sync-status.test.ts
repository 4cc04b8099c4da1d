import type { LightMyRequestResponse } from 'fastify';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection, publishSyncEvent } from '@ach/queue';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness({ app: { sseHeartbeatMs: 100 } });
});
afterAll(async () => {
  await h.close();
});

async function insertRun(userId: string, platformId: number, fields: { status?: string; progress?: number; createdAt?: string; errorCode?: string } = {}) {
  const { rows } = await sql<{ id: string }>`
    insert into sync_logs (user_id, platform_id, status, progress, stats, error_code, created_at)
    values (${userId}::uuid, ${platformId}::smallint, ${fields.status ?? 'succeeded'}, ${fields.progress ?? 100},
            '{"gamesUpdated": 3}'::jsonb, ${fields.errorCode ?? null}, ${fields.createdAt ?? new Date().toISOString()}::timestamptz)
    returning id`.execute(h.db);
  return rows[0]!.id;
}

describe('GET /sync/:platform/status', () => {
  it('returns the latest run with progress, stats, error and timestamps', async () => {
    const user = await h.createUser();
    await insertRun(user, 3, { createdAt: '2024-01-01T00:00:00Z' });
    const latest = await insertRun(user, 3, { status: 'failed', progress: 40, errorCode: 'profile_private' });
    await insertRun(user, 1); // another platform
    const res = await h.app.inject({ method: 'GET', url: '/sync/steam/status', headers: await h.bearer(user) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      syncId: latest, platform: 'steam', status: 'failed', progress: 40, stats: { gamesUpdated: 3 },
      errorCode: 'profile_private', errorMessage: null, createdAt: expect.any(String), finishedAt: null,
    });
  });

  it('404 when the user has no run for the platform (another user\'s runs do not count)', async () => {
    const owner = await h.createUser();
    await insertRun(owner, 2);
    const other = await h.createUser();
    const res = await h.app.inject({ method: 'GET', url: '/sync/xbox/status', headers: await h.bearer(other) });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });

  it('400 for an unknown platform', async () => {
    const user = await h.createUser();
    const res = await h.app.inject({ method: 'GET', url: '/sync/epic/status', headers: await h.bearer(user) });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('params.platform');
  });
});

describe('GET /syncs and /syncs/:syncId', () => {
  it('pages through own runs newest first with an opaque cursor', async () => {
    const user = await h.createUser();
    const other = await h.createUser();
    await insertRun(other, 3);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await insertRun(user, (i % 3) + 1, { createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() }));
    // Same timestamp twice: the id breaks the tie, nothing skipped or repeated.
    ids.push(await insertRun(user, 1, { createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, 6)).toISOString() }));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: LightMyRequestResponse = await h.app.inject({ method: 'GET', url: `/syncs?limit=3${cursor ? `&cursor=${cursor}` : ''}`, headers: await h.bearer(user) });
      expect(res.statusCode).toBe(200);
      const body: { items: { syncId: string }[]; nextCursor: string | null } = res.json();
      seen.push(...body.items.map((r: { syncId: string }) => r.syncId));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(8);
    expect(seen.sort()).toEqual([...ids].sort());
    const steamOnly = await h.app.inject({ method: 'GET', url: '/syncs?platform=steam', headers: await h.bearer(user) });
    expect(steamOnly.json().items.every((r: { platform: string }) => r.platform === 'steam')).toBe(true);
  });

  it('rejects a forged cursor and a bad limit naming the parameter', async () => {
    const user = await h.createUser();
    const forged = await h.app.inject({ method: 'GET', url: '/syncs?cursor=not-a-cursor', headers: await h.bearer(user) });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('invalid_cursor');
    const limit = await h.app.inject({ method: 'GET', url: '/syncs?limit=0', headers: await h.bearer(user) });
    expect(limit.statusCode).toBe(400);
    expect(limit.json().detail).toContain('querystring.limit');
  });

  it('returns an own run; another user\'s id and a non-uuid are 404', async () => {
    const owner = await h.createUser();
    const id = await insertRun(owner, 3);
    const own = await h.app.inject({ method: 'GET', url: `/syncs/${id}`, headers: await h.bearer(owner) });
    expect(own.statusCode).toBe(200);
    expect(own.json().syncId).toBe(id);
    const other = await h.createUser();
    expect((await h.app.inject({ method: 'GET', url: `/syncs/${id}`, headers: await h.bearer(other) })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/syncs/12345', headers: await h.bearer(owner) })).statusCode).toBe(404);
  });
});

describe('GET /sync/:platform/events (SSE)', () => {
  it('sends the current state, then worker progress, heartbeats, and ends with the run', async () => {
    const user = await h.createUser();
    const syncId = await insertRun(user, 3, { status: 'running', progress: 10 });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/sync/steam/events`, { headers: await h.bearer(user) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');

    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    };
    await readUntil('event: status');
    const publisher = createRedisConnection(h.redisUrl, 'producer');
    const event = (status: 'running' | 'succeeded', progress: number) =>
      publishSyncEvent(publisher, h.prefix, { syncId, userId: user, platform: 'steam', status, progress, at: new Date().toISOString() });
    // A run of another user on the same prefix must not leak into this stream.
    await publishSyncEvent(publisher, h.prefix, { syncId, userId: (await h.createUser()), platform: 'steam', status: 'running', progress: 99, at: new Date().toISOString() });
    await event('running', 55);
    await readUntil('"progress":55');
    await readUntil(': heartbeat');
    await event('succeeded', 100);
    await readUntil('event: end');
    const { done } = await reader.read();
    publisher.disconnect();

    expect(done).toBe(true);
    const dataLines = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    expect(dataLines[0]).toMatchObject({ syncId, status: 'running', progress: 10 });
    expect(dataLines.map((d) => d.progress)).not.toContain(99);
    expect(dataLines.some((d) => d.status === 'succeeded' && d.progress === 100)).toBe(true);
  });

  it('ends at once when the latest run already finished, and 404s without any run', async () => {
    const user = await h.createUser();
    const none = await h.app.inject({ method: 'GET', url: '/sync/psn/events', headers: await h.bearer(user) });
    expect(none.statusCode).toBe(404);
    await insertRun(user, 1, { status: 'succeeded' });
    const done = await h.app.inject({ method: 'GET', url: '/sync/psn/events', headers: await h.bearer(user) });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('event: status');
    expect(done.body).toContain('event: end');
  });
});
