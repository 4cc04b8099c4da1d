import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { publishSyncEvent, syncEventsChannel } from '@ach/queue';
import { startOwnRedis, type OwnRedis } from '@ach/testing';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';
import { openSse } from './support/sse-client.ts';

let redis: OwnRedis;
let h: ApiHarness;
let url: string;
beforeAll(async () => {
  redis = await startOwnRedis();
  h = await createApiHarness({ redisUrl: redis.url, app: { sseHeartbeatMs: 200 } });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/sync/steam/events`;
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

async function userWithLiveRun() {
  const id = await h.createUser();
  const { rows } = await sql<{ id: string }>`
    insert into sync_logs (user_id, platform_id, status, progress) values (${id}::uuid, 3, 'running', 10) returning id`.execute(h.db);
  return { id, syncId: rows[0]!.id, headers: await h.bearer(id) };
}

describe('GET /sync/:platform/events across a Redis outage', () => {
  it('answers 503 queue_unavailable while Redis is down; the shared connection re-subscribes and open streams keep receiving afterwards', async () => {
    const early = await userWithLiveRun();
    const open = await openSse(url, early.headers);
    expect(open.status).toBe(200);
    await open.readUntil('event: status');

    await redis.stop();
    const late = await userWithLiveRun();
    const refused = await h.app.inject({ method: 'GET', url: '/sync/steam/events', headers: late.headers });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.json()).toMatchObject({ status: 503, code: 'queue_unavailable' });

    await redis.start();
    const publisher = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      // ioredis reconnects with backoff and re-subscribes by itself.
      await vi.waitFor(
        async () => {
          const [, count] = (await publisher.call('PUBSUB', 'NUMSUB', syncEventsChannel(h.prefix, early.id))) as [string, number];
          expect(Number(count)).toBe(1);
        },
        { timeout: 20_000, interval: 100 },
      );
      await publishSyncEvent(publisher, h.prefix, { syncId: early.syncId, userId: early.id, platform: 'steam', status: 'succeeded', progress: 100, at: new Date().toISOString() });
      await open.readToEnd();
      expect(open.events('end')).toEqual([{ syncId: early.syncId }]);
      expect(h.subscribers).toHaveLength(1);

      let again;
      for (let attempt = 0; attempt < 50; attempt++) {
        again = await openSse(url, late.headers);
        if (again.status === 200) break;
        await again.readToEnd();
        await new Promise((r) => setTimeout(r, 200)); // the producer connection's reconnect backoff
      }
      expect(again!.status).toBe(200);
      await again!.cancel();
    } finally {
      publisher.disconnect();
    }
  });
});
