import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformAccountRepository } from '@ach/accounts';
import { createLogger } from '@ach/observability';
import { createRedisConnection, createSyncQueue, type SyncJob, type SyncQueues } from '@ach/queue';
import { createTestDatabase, createTestRedis, freePort, type TestDatabase, type TestRedis } from '@ach/testing';
import { requestSync, SyncAcceptError, type RequestSyncDeps } from '../src/index.ts';

const STEAM = { id: 3, slug: 'steam' };
const log = createLogger({ name: 'accept-path-test', level: 'silent' });

let database: TestDatabase;
let testRedis: TestRedis;
let producer: ReturnType<typeof createRedisConnection>;
let queue: Queue<SyncJob>;
// A producer that never reached Redis: BullMQ waits for the connection, so only the deadline ends an add.
let unreachable: ReturnType<typeof createRedisConnection>;
let unreachableQueue: Queue<SyncJob>;

beforeAll(async () => {
  database = await createTestDatabase();
  testRedis = createTestRedis();
  producer = createRedisConnection(testRedis.url, 'producer', { commandTimeout: 1_000 });
  queue = createSyncQueue('steam', { connection: producer, prefix: testRedis.prefix });
  unreachable = createRedisConnection(`redis://127.0.0.1:${await freePort()}`, 'producer', { commandTimeout: 1_000 });
  unreachableQueue = createSyncQueue('steam', { connection: unreachable, prefix: testRedis.prefix });
  unreachableQueue.on('error', () => {});
});
afterAll(async () => {
  await queue.close();
  await Promise.race([unreachableQueue.close(), new Promise((r) => setTimeout(r, 500))]).catch(() => {});
  producer.disconnect();
  unreachable.disconnect();
  await testRedis.cleanup();
  await database.drop();
});

const deps = (queues: SyncQueues = { steam: queue }, enqueueTimeoutMs = 1_500): RequestSyncDeps => ({ db: database.db, queues, log, enqueueTimeoutMs });

async function createUser(): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, email) values (${id}::uuid, ${`${id.slice(0, 8)}@example.test`})`.execute(database.db);
  return id;
}

async function link(userId: string, steamId: string, verified = false): Promise<void> {
  const outcome = await createPlatformAccountRepository(database.db).link({ userId, platformId: STEAM.id, externalAccountId: steamId, displayName: null, avatarUrl: null, verified });
  expect(outcome.kind).toBe('linked');
}

const runsOf = async (userId: string) =>
  (await sql<{ id: string; status: string; mode: string; error_code: string | null }>`
    select id, status, mode, error_code from sync_logs where user_id = ${userId}::uuid order by created_at`.execute(database.db)).rows;

const accountOf = async (userId: string) =>
  (await sql<{ sync_status: string; sync_progress: number; last_sync_id: string | null }>`
    select sync_status, sync_progress, last_sync_id from platform_accounts where user_id = ${userId}::uuid`.execute(database.db)).rows[0];

async function refusal(promise: Promise<unknown>): Promise<SyncAcceptError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SyncAcceptError);
  return error as SyncAcceptError;
}

describe('requestSync (the accept path)', () => {
  it('queues the run and its job; the account row is left for the worker to move', async () => {
    const user = await createUser();
    await link(user, '76561198000000001');
    const result = await requestSync(deps(), { userId: user, platform: STEAM, mode: 'full' });
    expect(result).toMatchObject({ status: 'queued', deduplicated: false });
    expect(await runsOf(user)).toEqual([{ id: result.syncId, status: 'queued', mode: 'full', error_code: null }]);
    expect((await queue.getJob(result.syncId))?.data).toEqual({ syncId: result.syncId, userId: user, platform: 'steam', mode: 'full' });
    // Only a worker's start points the account at a run: accepting one does not touch it.
    expect(await accountOf(user)).toEqual({ sync_status: 'idle', sync_progress: 0, last_sync_id: null });
  });

  it('a request while a run is live answers that run and gives it back a lost job', async () => {
    const user = await createUser();
    await link(user, '76561198000000002');
    const first = await requestSync(deps(), { userId: user, platform: STEAM, mode: 'incremental' });
    await queue.remove(first.syncId);
    const second = await requestSync(deps(), { userId: user, platform: STEAM, mode: 'full' });
    expect(second).toEqual({ syncId: first.syncId, status: 'queued', deduplicated: true });
    expect((await queue.getJob(first.syncId))?.data).toMatchObject({ syncId: first.syncId, mode: 'incremental' });
    expect(await runsOf(user)).toHaveLength(1);
  });

  it('refuses, typed and without a run: no link, or a link of an account another user proved is theirs', async () => {
    const unlinked = await createUser();
    expect((await refusal(requestSync(deps(), { userId: unlinked, platform: STEAM, mode: 'incremental' }))).code).toBe('account_not_linked');
    expect(await runsOf(unlinked)).toEqual([]);

    const squatter = await createUser();
    const owner = await createUser();
    await link(squatter, '76561198000000003');
    await link(owner, '76561198000000003', true);
    const claimed = await refusal(requestSync(deps(), { userId: squatter, platform: STEAM, mode: 'incremental' }));
    expect({ code: claimed.code, platform: claimed.platform }).toEqual({ code: 'ownership_claimed', platform: 'steam' });
    expect(await runsOf(squatter)).toEqual([]);
  });

  it('a job that cannot reach the queue before the deadline: refused queue_unavailable, its run failed rather than left queued', async () => {
    const user = await createUser();
    await link(user, '76561198000000004');
    const error = await refusal(requestSync(deps({ steam: unreachableQueue }, 300), { userId: user, platform: STEAM, mode: 'incremental' }));
    expect(error.code).toBe('queue_unavailable');
    expect(await runsOf(user)).toEqual([expect.objectContaining({ status: 'failed', error_code: 'queue_unavailable' })]);
  });
});
