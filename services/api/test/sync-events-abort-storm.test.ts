import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishSyncEvent, syncEventsChannel } from '@ach/queue';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

/**
 * Clients that give up while their stream is still being set up (auth, reads, slot, subscribe)
 * must not leave anything behind: no Redis connection, no subscription, no timer, no socket,
 * no open-stream slot.
 */

const STREAMS = 500;
const USERS = 20;

let h: ApiHarness;
let admin: Redis;
let port: number;
const users: { id: string; syncId: string; authorization: string }[] = [];

beforeAll(async () => {
  h = await createApiHarness({
    app: {
      sseHeartbeatMs: 20,
      // The storm is about clean-up, not limits: let every stream through.
      sseMaxStreamsPerUser: 100_000,
      rateLimit: { syncMax: 1_000, linkMax: 1_000, streamMax: 100_000 },
    },
  });
  for (let i = 0; i < USERS; i++) {
    const id = await h.createUser();
    const { rows } = await sql<{ id: string }>`
      insert into sync_logs (user_id, platform_id, status, progress) values (${id}::uuid, 3, 'running', 5) returning id`.execute(h.db);
    users.push({ id, syncId: rows[0]!.id, ...(await h.bearer(id)) });
  }
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as AddressInfo).port;
  admin = new Redis(h.redisUrl, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  admin?.disconnect();
  await h.close();
});

/** This app's clients as Redis sees them (the harness names them after the file's prefix). */
async function apiRedisClients(): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${h.prefix}:api-`)).length;
}

function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function exceeding(baseline: Map<string, number>): string[] {
  return [...activeResources()].filter(([kind, n]) => n > (baseline.get(kind) ?? 0)).map(([kind, n]) => `${kind}: ${n} > ${baseline.get(kind) ?? 0}`);
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** One whole stream: current state, a progress event, and the end. */
async function followOneRunToItsEnd(user: (typeof users)[number]): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/sync/steam/events`, { headers: { authorization: user.authorization } });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const readUntil = async (needle: string) => {
    while (!text.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value);
    }
  };
  await readUntil('event: status');
  const publish = (status: 'running' | 'succeeded', progress: number) =>
    publishSyncEvent(admin, h.prefix, { syncId: user.syncId, userId: user.id, platform: 'steam', status, progress, at: new Date().toISOString() });
  await publish('running', 50);
  await readUntil('"progress":50');
  await publish('succeeded', 100);
  await readUntil('event: end');
  while (!(await reader.read()).done);
  return text;
}

/** Sends the request and destroys its socket `abortAfterMs` later, whatever stage it reached. */
function openAndAbort(user: (typeof users)[number], abortAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/sync/steam/events', headers: { authorization: user.authorization }, agent: false });
    req.on('error', () => {});
    req.on('response', (res) => res.on('error', () => {}).resume());
    req.on('close', () => resolve());
    setTimeout(() => req.destroy(), abortAfterMs);
    req.end();
  });
}

describe('GET /sync/:platform/events under an abort storm', () => {
  it('releases every Redis connection, subscription, slot and handle of streams aborted during set-up', async () => {
    // Warm-up: the first stream opens the process's one shared subscriber; that one stays.
    await followOneRunToItsEnd(users[0]!);
    // Put the run back live for the storm.
    await sql`update sync_logs set status = 'running', progress = 5 where id = ${users[0]!.syncId}::uuid`.execute(h.db);
    await until(async () => exceeding(activeResources()).length === 0, 1_000);
    const baselineClients = await apiRedisClients();
    const baselineResources = activeResources();
    expect(baselineClients).toBeGreaterThanOrEqual(1);

    // Spread over a few seconds so aborts land in every stage of set-up (measured once: before the
    // handler, after each of its awaits, and after streaming began), not only in the accept queue.
    await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        new Promise<void>((resolve) => setTimeout(resolve, i * 10)).then(() => openAndAbort(users[i % USERS]!, Math.random() * 20)),
      ),
    );

    const clientsSettled = await until(async () => (await apiRedisClients()) <= baselineClients, 30_000);
    expect(clientsSettled, `API Redis clients: ${await apiRedisClients()} (baseline ${baselineClients})`).toBe(true);
    // Generous: the pg pool grew for the storm and closes its idle connections after 10 s.
    const resourcesSettled = await until(async () => exceeding(baselineResources).length === 0, 60_000);
    expect(resourcesSettled, exceeding(baselineResources).join(', ')).toBe(true);

    const channels = users.map((u) => syncEventsChannel(h.prefix, u.id));
    const subscriptions = (await admin.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
    expect(subscriptions.filter((_, i) => i % 2 === 1).map(Number)).toEqual(channels.map(() => 0));
    const slotKeys = await admin.keys(`${h.prefix}:sse-streams:*`);
    expect(slotKeys).toEqual([]);

    // And the app still streams as before.
    const text = await followOneRunToItsEnd(users[1]!);
    expect(text).toContain('"progress":50');
    expect(text).toContain('event: end');
  }, 180_000);
});
