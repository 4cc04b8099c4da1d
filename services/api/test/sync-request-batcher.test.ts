import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import type { Platform } from '@ach/db';
import { createLogger } from '@ach/observability';
import { builtinPlatformRegistry } from '@ach/platform-registry';
import { createRedisConnection, createSyncQueues, type SyncJob, type SyncQueues } from '@ach/queue';
import { createTestDatabase, createTestRedis, freePort, startOwnRedis, type OwnRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import { createSyncRequestBatcher, type SyncRequestInput } from '../src/sync/sync-request-batcher.ts';
import { LogCapture } from './support/api-harness.ts';

const platforms = builtinPlatformRegistry();
/** The built-in platforms' queues, each one known to exist. */
type BuiltinQueues = SyncQueues & Record<'psn' | 'xbox' | 'steam', Queue<SyncJob>>;
const builtinQueues = (options: Parameters<typeof createSyncQueues>[1]) => createSyncQueues(platforms.slugs, options) as BuiltinQueues;

let database: TestDatabase;
let testRedis: TestRedis;
let redis: ReturnType<typeof createRedisConnection>;
let queues: BuiltinQueues;
// Queues whose Redis was up and then went away: every command fails at once (fail-fast producer).
let ownRedis: OwnRedis;
let deadRedis: ReturnType<typeof createRedisConnection>;
let deadQueues: BuiltinQueues;
// Queues that never reached Redis: BullMQ waits for the connection, so only our deadline ends it.
let unreachableRedis: ReturnType<typeof createRedisConnection>;
let unreachableQueues: BuiltinQueues;

beforeAll(async () => {
  database = await createTestDatabase();
  testRedis = createTestRedis();
  redis = createRedisConnection(testRedis.url, 'producer', { commandTimeout: 1_000 });
  queues = builtinQueues({ connection: redis, prefix: testRedis.prefix });
  ownRedis = await startOwnRedis();
  deadRedis = createRedisConnection(ownRedis.url, 'producer', { commandTimeout: 1_000 });
  deadQueues = builtinQueues({ connection: deadRedis, prefix: testRedis.prefix });
  await Promise.all(Object.values(deadQueues).map((q) => q.waitUntilReady()));
  await ownRedis.stop();
  unreachableRedis = createRedisConnection(`redis://127.0.0.1:${await freePort()}`, 'producer', { commandTimeout: 1_000 });
  unreachableQueues = builtinQueues({ connection: unreachableRedis, prefix: testRedis.prefix });
  // Connection errors are the point here; keep them out of the test output.
  for (const q of [...Object.values(deadQueues), ...Object.values(unreachableQueues)]) q.on('error', () => {});
});
afterAll(async () => {
  const all = [...Object.values(queues), ...Object.values(deadQueues), ...Object.values(unreachableQueues)];
  await Promise.all(all.map((q) => Promise.race([q.close(), new Promise((r) => setTimeout(r, 500))]).catch(() => {})));
  redis.disconnect();
  deadRedis.disconnect();
  unreachableRedis.disconnect();
  // ownRedis was stopped in beforeAll (stop() on a killed server would wait for an exit that already happened).
  await testRedis.cleanup().catch(() => {});
  await database.drop();
});

async function createUser(linked: Platform[] = []): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, email) values (${id}::uuid, ${`${id.slice(0, 8)}@example.test`})`.execute(database.db);
  await sql`insert into public.users (id, email, username) values (${id}::uuid, null, ${`u_${id.replace(/-/g, '').slice(0, 20)}`})
            on conflict (id) do nothing`.execute(database.db);
  for (const platform of linked) {
    await sql`insert into platform_accounts (user_id, platform_id, external_account_id) values (${id}::uuid, ${platforms.bySlug(platform).id}::smallint, ${`ext-${id}`})`.execute(database.db);
  }
  return id;
}

async function runsOf(userId: string) {
  const { rows } = await sql<{ id: string; platform_id: number; mode: string; status: string; error_code: string | null }>`
    select id, platform_id, mode, status, error_code from sync_logs where user_id = ${userId}::uuid order by created_at`.execute(database.db);
  return rows;
}

/** Settles every request (fulfilled or rejected) so one failure does not hide the others. */
const settleAll = (promises: Promise<unknown>[]) => Promise.allSettled(promises);
const rejection = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? (r.reason as { status?: number; code?: string }) : undefined);

function makeBatcher(options: { queues?: SyncQueues; logs?: LogCapture; enqueueTimeoutMs?: number; maxWaitMs?: number } = {}) {
  const log = createLogger({ name: 'batcher-test', level: 'debug', destination: options.logs ?? new LogCapture() });
  return createSyncRequestBatcher({ db: database.db, platforms, queues: options.queues ?? queues, log, enqueueTimeoutMs: options.enqueueTimeoutMs ?? 1_500, maxBatch: 64, maxWaitMs: options.maxWaitMs ?? 2 });
}

describe('createSyncRequestBatcher', () => {
  it('settles a mixed batch in one INSERT: new, unlinked, duplicate, already live', async () => {
    const fresh = await createUser(['steam']);
    const unlinked = await createUser([]);
    const twice = await createUser(['psn']);
    const live = await createUser(['xbox']);
    // A live run whose job was lost: the batch must hand back that run and give it its job again.
    const { rows } = await sql<{ id: string }>`insert into sync_logs (user_id, platform_id, mode) values (${live}::uuid, 2, 'full') returning id`.execute(database.db);
    const liveId = rows[0]!.id;

    const logs = new LogCapture();
    const batcher = makeBatcher({ logs });
    const inputs: SyncRequestInput[] = [
      { userId: fresh, platform: 'steam', mode: 'full' },
      { userId: unlinked, platform: 'steam', mode: 'incremental' },
      { userId: twice, platform: 'psn', mode: 'incremental' },
      { userId: twice.toUpperCase(), platform: 'psn', mode: 'full' },
      { userId: live, platform: 'xbox', mode: 'incremental' },
    ];
    const results = await settleAll(inputs.map((input) => batcher.request(input)));
    await batcher.close();

    // One batch: every request went through the same INSERT.
    const batches = logs.lines.map((l) => JSON.parse(l) as { msg: string; requests?: number; created?: number; perRequest?: number }).filter((l) => l.msg === 'sync request batch');
    expect(batches).toEqual([expect.objectContaining({ requests: 5, created: 2, perRequest: 2 })]);

    const [freshResult, unlinkedResult, twiceFirst, twiceSecond, liveResult] = results;
    expect(freshResult).toMatchObject({ status: 'fulfilled', value: { status: 'queued', deduplicated: false } });
    const freshId = (freshResult as PromiseFulfilledResult<{ syncId: string }>).value.syncId;
    expect(await runsOf(fresh)).toEqual([{ id: freshId, platform_id: 3, mode: 'full', status: 'queued', error_code: null }]);
    expect((await queues.steam.getJob(freshId))?.data).toEqual({ syncId: freshId, userId: fresh, platform: 'steam', mode: 'full' });

    expect(rejection(unlinkedResult!)).toMatchObject({ status: 409, code: 'account_not_linked' });
    expect(await runsOf(unlinked)).toEqual([]);

    // The same user + platform twice in one batch: one run (the first request's mode), the same id for both.
    expect(twiceFirst).toMatchObject({ status: 'fulfilled', value: { status: 'queued', deduplicated: false } });
    const twiceId = (twiceFirst as PromiseFulfilledResult<{ syncId: string }>).value.syncId;
    expect(twiceSecond).toEqual({ status: 'fulfilled', value: { syncId: twiceId, status: 'queued', deduplicated: true } });
    expect(await runsOf(twice)).toEqual([{ id: twiceId, platform_id: 1, mode: 'incremental', status: 'queued', error_code: null }]);
    expect((await queues.psn.getJob(twiceId))?.data).toEqual({ syncId: twiceId, userId: twice, platform: 'psn', mode: 'incremental' });

    expect(liveResult).toEqual({ status: 'fulfilled', value: { syncId: liveId, status: 'queued', deduplicated: true } });
    expect(await runsOf(live)).toHaveLength(1);
    expect((await queues.xbox.getJob(liveId))?.data).toEqual({ syncId: liveId, userId: live, platform: 'xbox', mode: 'full' });
  });

  it('splits more than maxBatch requests into several batches and answers every one', async () => {
    const users = await Promise.all(Array.from({ length: 150 }, () => createUser(['steam'])));
    const logs = new LogCapture();
    const batcher = makeBatcher({ logs });
    const results = await Promise.all(users.map((userId) => batcher.request({ userId, platform: 'steam', mode: 'incremental' })));
    await batcher.close();
    expect(new Set(results.map((r) => r.syncId)).size).toBe(150);
    expect(results.every((r) => r.status === 'queued' && !r.deduplicated)).toBe(true);
    const sizes = logs.lines.map((l) => JSON.parse(l) as { msg: string; requests?: number }).filter((l) => l.msg === 'sync request batch').map((l) => l.requests!);
    expect(sizes.every((n) => n <= 64)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(150);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from sync_logs where user_id = any(${users}::uuid[]) and status = 'queued'`.execute(database.db);
    expect(rows[0]!.n).toBe(150);
    const jobs = await queues.steam.getJobs(['waiting', 'wait']);
    const ids = new Set(jobs.map((j) => j.id));
    expect(results.every((r) => ids.has(r.syncId))).toBe(true);
  });

  it('addBulk fails → every new run of the batch is failed queue_unavailable and every caller gets 503', async () => {
    const a = await createUser(['steam']);
    const b = await createUser(['steam', 'psn']);
    const batcher = makeBatcher({ queues: deadQueues });
    const started = performance.now();
    const results = await settleAll([
      batcher.request({ userId: a, platform: 'steam', mode: 'incremental' }),
      batcher.request({ userId: a, platform: 'steam', mode: 'incremental' }),
      batcher.request({ userId: b, platform: 'steam', mode: 'full' }),
      batcher.request({ userId: b, platform: 'psn', mode: 'full' }),
    ]);
    await batcher.close();
    expect(performance.now() - started).toBeLessThanOrEqual(2_000);
    for (const result of results) {
      expect(rejection(result)).toMatchObject({ status: 503, code: 'queue_unavailable', headers: { 'retry-after': '5' } });
    }
    const rows = [...(await runsOf(a)), ...(await runsOf(b))];
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'failed' && r.error_code === 'queue_unavailable')).toBe(true);
  });

  it('an enqueue that outlives the deadline fails the whole batch\'s new runs', async () => {
    const a = await createUser(['steam']);
    const b = await createUser(['xbox']);
    const batcher = makeBatcher({ queues: unreachableQueues, enqueueTimeoutMs: 300 });
    const results = await settleAll([
      batcher.request({ userId: a, platform: 'steam', mode: 'incremental' }),
      batcher.request({ userId: b, platform: 'xbox', mode: 'incremental' }),
    ]);
    await batcher.close();
    for (const result of results) expect(rejection(result)).toMatchObject({ status: 503, code: 'queue_unavailable' });
    const rows = [...(await runsOf(a)), ...(await runsOf(b))];
    expect(rows.map((r) => [r.status, r.error_code])).toEqual([
      ['failed', 'queue_unavailable'],
      ['failed', 'queue_unavailable'],
    ]);
  });

  it('pipelines: the next batch is committed while the previous one still waits on Redis', async () => {
    const first = await createUser(['steam']);
    const second = await createUser(['steam']);
    // Redis never answers: the first batch's addBulk holds the enqueue stage until its deadline. A
    // wait cap far beyond that deadline: only pipelining, not the cap, can let the second INSERT go.
    const batcher = makeBatcher({ queues: unreachableQueues, enqueueTimeoutMs: 1_000, maxWaitMs: 10_000 });
    const firstResult = batcher.request({ userId: first, platform: 'steam', mode: 'incremental' });
    await expect.poll(async () => (await runsOf(first)).length, { timeout: 500, interval: 10 }).toBe(1);
    const startedAt = performance.now();
    const secondResult = batcher.request({ userId: second, platform: 'steam', mode: 'incremental' });
    // Committed long before the first addBulk's 1 s deadline: the INSERT stage did not wait for it.
    await expect.poll(async () => (await runsOf(second)).length, { timeout: 500, interval: 10 }).toBe(1);
    expect(performance.now() - startedAt).toBeLessThan(500);
    const results = await settleAll([firstResult, secondResult]);
    await batcher.close();
    for (const result of results) expect(rejection(result)).toMatchObject({ status: 503, code: 'queue_unavailable' });
    expect([...(await runsOf(first)), ...(await runsOf(second))].map((r) => r.status)).toEqual(['failed', 'failed']);
  });

  it('fails only the runs of the queue whose addBulk failed', async () => {
    const user = await createUser(['steam', 'psn']);
    // Steam reaches Redis, PSN does not.
    const mixed: SyncQueues = { ...queues, psn: deadQueues.psn };
    const batcher = makeBatcher({ queues: mixed });
    const [steam, psn] = await settleAll([
      batcher.request({ userId: user, platform: 'steam', mode: 'incremental' }),
      batcher.request({ userId: user, platform: 'psn', mode: 'incremental' }),
    ]);
    await batcher.close();
    expect(steam).toMatchObject({ status: 'fulfilled', value: { status: 'queued', deduplicated: false } });
    const steamId = (steam as PromiseFulfilledResult<{ syncId: string }>).value.syncId;
    expect(await queues.steam.getJob(steamId)).toBeTruthy();
    expect(rejection(psn!)).toMatchObject({ status: 503, code: 'queue_unavailable' });
    expect((await runsOf(user)).map((r) => [r.platform_id, r.status, r.error_code])).toEqual(
      expect.arrayContaining([
        [3, 'queued', null],
        [1, 'failed', 'queue_unavailable'],
      ]),
    );
  });
});
