import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { publishSyncEvent, syncEventsChannel } from '@ach/queue';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';
import { openSse, type SseStream } from './support/sse-client.ts';

/** Shared subscriber, per-user open-stream cap, maximum lifetime and rate limit of GET /sync/:platform/events. */

let h: ApiHarness; // defaults: 5 streams per user, 15 min lifetime
let short: ApiHarness; // 400 ms lifetime, 3 stream requests per minute
let admin: Redis;
const base = (harness: ApiHarness) => `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;

beforeAll(async () => {
  h = await createApiHarness();
  short = await createApiHarness({
    database: h.database,
    app: { sseMaxStreamLifetimeMs: 400, sseHeartbeatMs: 60_000, rateLimit: { syncMax: 1_000, linkMax: 1_000, streamMax: 3 } },
  });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  await short.app.listen({ port: 0, host: '127.0.0.1' });
  admin = new Redis(h.redisUrl, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  admin?.disconnect();
  await short.close();
  await h.close();
});

async function userWithRun(harness: ApiHarness, status: 'running' | 'succeeded' = 'running') {
  const id = await harness.createUser();
  const { rows } = await sql<{ id: string }>`
    insert into sync_logs (user_id, platform_id, status, progress) values (${id}::uuid, 3, ${status}, ${status === 'running' ? 10 : 100}) returning id`.execute(harness.db);
  return { id, syncId: rows[0]!.id, headers: await harness.bearer(id) };
}

const numsub = async (harness: ApiHarness, userId: string) =>
  Number(((await admin.call('PUBSUB', 'NUMSUB', syncEventsChannel(harness.prefix, userId))) as [string, number])[1]);

describe('open streams per user', () => {
  it('the 6th concurrent stream of one user gets 429 too_many_streams with Retry-After; closing one frees its slot', async () => {
    const user = await userWithRun(h);
    const other = await userWithRun(h);
    const open: SseStream[] = [];
    for (let i = 0; i < 5; i++) {
      const stream = await openSse(`${base(h)}/sync/steam/events`, user.headers);
      expect(stream.status).toBe(200);
      await stream.readUntil('event: status');
      open.push(stream);
    }

    const sixth = await openSse(`${base(h)}/sync/steam/events`, user.headers);
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await sixth.readToEnd();
    expect(JSON.parse(sixth.text())).toMatchObject({ status: 429, code: 'too_many_streams', type: expect.any(String), title: expect.any(String), detail: expect.stringContaining('5') });

    // The cap is per user: someone else still gets a stream.
    const someoneElse = await openSse(`${base(h)}/sync/steam/events`, other.headers);
    expect(someoneElse.status).toBe(200);
    await someoneElse.cancel();

    await open.pop()!.cancel();
    // The slot comes back when the server sees the client go; poll rather than guess when.
    let again: SseStream | undefined;
    for (let attempt = 0; attempt < 100 && again?.status !== 200; attempt++) {
      if (again) await new Promise((r) => setTimeout(r, 50));
      again = await openSse(`${base(h)}/sync/steam/events`, user.headers);
      if (again.status !== 200) await again.readToEnd();
    }
    expect(again!.status).toBe(200);
    open.push(again!);
    for (const stream of open) await stream.cancel();
  });
});

describe('one shared subscriber', () => {
  it('streams of several users share one Redis connection and one subscription per user; all get progress and the end', async () => {
    const a = await userWithRun(h);
    const b = await userWithRun(h);
    const streamsA = [await openSse(`${base(h)}/sync/steam/events`, a.headers), await openSse(`${base(h)}/sync/steam/events`, a.headers)];
    const streamB = await openSse(`${base(h)}/sync/steam/events`, b.headers);
    for (const stream of [...streamsA, streamB]) await stream.readUntil('event: status');

    expect(h.subscribers).toHaveLength(1);
    expect(await numsub(h, a.id)).toBe(1);
    expect(await numsub(h, b.id)).toBe(1);

    const publish = (user: typeof a, status: 'running' | 'succeeded', progress: number) =>
      publishSyncEvent(admin, h.prefix, { syncId: user.syncId, userId: user.id, platform: 'steam', status, progress, at: new Date().toISOString() });
    await publish(a, 'running', 42);
    for (const stream of streamsA) expect(await stream.readUntil('"progress":42')).toBe(true);
    await publish(a, 'succeeded', 100);
    for (const stream of streamsA) {
      await stream.readToEnd();
      expect(stream.events('end')).toEqual([{ syncId: a.syncId }]);
      expect(stream.events('status').at(-1)).toMatchObject({ status: 'succeeded', progress: 100 });
    }
    expect(streamB.text()).not.toContain('"progress":42');

    // A's last stream gone → A unsubscribed; B's stream untouched and still live.
    await vi.waitFor(async () => expect(await numsub(h, a.id)).toBe(0), { timeout: 10_000, interval: 50 });
    expect(await numsub(h, b.id)).toBe(1);
    await publish(b, 'running', 77);
    expect(await streamB.readUntil('"progress":77')).toBe(true);
    await streamB.cancel();
    await vi.waitFor(async () => expect(await numsub(h, b.id)).toBe(0), { timeout: 10_000, interval: 50 });
    expect(h.subscribers).toHaveLength(1);
    expect(h.subscribers[0]!.status).toBe('ready');
  });

  it('does not subscribe when the run has already ended', async () => {
    expect(h.subscribers.length).toBeGreaterThanOrEqual(1);
    const connection = h.subscribers[0]!;
    const subscribe = vi.spyOn(connection, 'subscribe');
    try {
      const done = await userWithRun(h, 'succeeded');
      const res = await h.app.inject({ method: 'GET', url: '/sync/steam/events', headers: done.headers });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('event: status');
      expect(res.body).toContain('event: end');
      expect(subscribe).not.toHaveBeenCalled();
      expect(await admin.exists(`${h.prefix}:sse-streams:${done.id}`)).toBe(0);
      expect(h.subscribers).toHaveLength(1);
    } finally {
      subscribe.mockRestore();
    }
  });
});

describe('maximum lifetime and rate limit', () => {
  it('ends a stream with a reconnect event (and an SSE retry) after its lifetime, giving its slot back', async () => {
    const user = await userWithRun(short);
    const stream = await openSse(`${base(short)}/sync/steam/events`, user.headers);
    expect(stream.status).toBe(200);
    await stream.readToEnd();
    expect(stream.events('status')[0]).toMatchObject({ syncId: user.syncId, status: 'running' });
    expect(stream.events('reconnect')).toEqual([{ reason: 'max_lifetime' }]);
    expect(stream.text()).toMatch(/^retry: \d+$/m);
    expect(stream.events('end')).toEqual([]);
    await vi.waitFor(async () => expect(await admin.exists(`${short.prefix}:sse-streams:${user.id}`)).toBe(0), { timeout: 10_000, interval: 50 });
    await vi.waitFor(async () => expect(await numsub(short, user.id)).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it('is rate-limited per user like the other user routes (429 rate_limited)', async () => {
    const user = await userWithRun(short, 'succeeded');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await short.app.inject({ method: 'GET', url: '/sync/steam/events', headers: user.headers })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await short.app.inject({ method: 'GET', url: '/sync/steam/events', headers: user.headers });
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    expect(limited.headers['retry-after']).toBeDefined();
    // Per user, not global.
    const other = await userWithRun(short, 'succeeded');
    expect((await short.app.inject({ method: 'GET', url: '/sync/steam/events', headers: other.headers })).statusCode).toBe(200);
  });
});

describe('app close', () => {
  it('tells open streams to reconnect elsewhere and closes the shared connection', async () => {
    const own = await createApiHarness({ database: h.database });
    try {
      await own.app.listen({ port: 0, host: '127.0.0.1' });
      const user = await userWithRun(own);
      const stream = await openSse(`${base(own)}/sync/steam/events`, user.headers);
      await stream.readUntil('event: status');
      expect(own.subscribers).toHaveLength(1);
      await own.app.close();
      await stream.readToEnd();
      expect(stream.events('reconnect')).toEqual([{ reason: 'shutdown' }]);
      await vi.waitFor(() => expect(own.subscribers[0]!.status).toBe('end'), { timeout: 10_000, interval: 50 });
    } finally {
      await own.close();
    }
  });
});
