import { Writable } from 'node:stream';
import type { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@ach/observability';
import { PlatformError } from '@ach/platform-clients';
import { createRedisConnection, createSyncQueue, subscribeSyncEvents, SYNC_JOB_NAME, type SyncEvent, type SyncJob, type RedisClient } from '@ach/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, settledJob } from '@ach/testing';
import { createSyncEngine, createSyncRunRepository, createSyncWorker, type SyncWorker } from '../src/index.ts';
import { createInMemoryPlatform } from './support/in-memory-platform.ts';
import { createSyncLog, createUser, linkAccount } from './support/seed.ts';
import { TEST_PLATFORMS, type TestPlatform } from './support/test-platforms.ts';

/** Every line the worker logs, parsed: the full error must be there, under the id the user sees. */
class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  }
}

const logs = new LogCapture();
const log = createLogger({ name: 'failure-messages-test', level: 'info', destination: logs });
let t: TestDatabase;
let r: TestRedis;
let redis: RedisClient;
let subscriber: RedisClient;
let queue: Queue<SyncJob>;
let runner: SyncWorker;
const platform = createInMemoryPlatform('steam');
const REFERENCE = /^Internal error \(reference ([0-9a-f-]{36})\)$/;

beforeAll(async () => {
  t = await createTestDatabase();
  r = createTestRedis();
  redis = createRedisConnection(r.url, 'worker');
  subscriber = createRedisConnection(r.url, 'subscriber');
  queue = createSyncQueue('steam', { connection: redis, prefix: r.prefix });
  const runs = createSyncRunRepository({ db: t.db, redis, queuePrefix: r.prefix, log });
  const engine = createSyncEngine({ db: t.db, adapter: platform.adapter, runs, log });
  // Errors below claim several platforms: the runner names each as the registry would.
  const platformNames = (slug: string) => TEST_PLATFORMS[slug as TestPlatform]?.displayName;
  runner = createSyncWorker({ engine, runs, connection: redis, prefix: r.prefix, log, concurrency: 1, platformNames });
  platform.addGame('g1', 2);
});

afterAll(async () => {
  await runner.close(5_000);
  await queue.close();
  subscriber.disconnect();
  redis.disconnect();
  await r.cleanup();
  await t.drop();
});

const settled = (jobId: string, timeoutMs = 30_000): Promise<Job<SyncJob>> => settledJob(queue, jobId, timeoutMs);

/** A linked user, a queued run, its job (one attempt unless told), and every event published for it. */
async function runFailing(fault: () => void | Promise<void>, options: { attempts?: number; backoffMs?: number } = {}) {
  const user = await createUser(t.db);
  await linkAccount(t.db, user, 'steam', `acct-${user.slice(0, 8)}`);
  platform.own(`acct-${user.slice(0, 8)}`, 'g1', 1);
  const events: SyncEvent[] = [];
  const unsubscribe = await subscribeSyncEvents(subscriber, r.prefix, user, (event) => events.push(event));
  const syncId = await createSyncLog(t.db, user, 'steam');
  platform.setFault(async (what) => {
    if (what === 'list') await fault();
  });
  await queue.add(SYNC_JOB_NAME, { syncId, userId: user, platform: 'steam', mode: 'incremental' }, {
    jobId: syncId,
    attempts: options.attempts ?? 1,
    backoff: { type: 'fixed', delay: options.backoffMs ?? 0 },
  });
  return { syncId, events, unsubscribe };
}

const syncLog = (id: string) => t.db.selectFrom('sync_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const errorLinesFor = (syncId: string) => logs.lines.filter((line) => line.level === 50 && line.syncId === syncId);

describe('what a failed run shows the user', () => {
  it('a Postgres error becomes internal_error with a reference; the log line under that reference has the full error', async () => {
    const pgText = 'duplicate key value violates unique constraint "user_progress_pkey"';
    const { syncId, events, unsubscribe } = await runFailing(() => {
      throw Object.assign(new Error(pgText), { code: '23505', detail: 'Key (user_id)=(x) already exists.' });
    });
    const job = await settled(syncId);
    platform.setFault(undefined);
    expect(await job.getState()).toBe('failed');

    const row = await syncLog(syncId);
    expect(row).toMatchObject({ status: 'failed', error_code: 'internal_error' });
    const reference = REFERENCE.exec(row.error_message ?? '')?.[1];
    expect(reference, row.error_message ?? 'null').toBeDefined();
    for (const leaked of ['duplicate', 'constraint', 'user_progress_pkey', '23505']) expect(row.error_message).not.toContain(leaked);

    const lines = errorLinesFor(syncId).filter((line) => line.errorId === reference);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain(pgText.replace(/"/g, '\\"'));

    // The stream says exactly what the row says.
    await expect.poll(() => events.find((e) => e.status === 'failed')).toBeDefined();
    expect(events.find((e) => e.status === 'failed')).toMatchObject({ errorCode: 'internal_error', errorMessage: row.error_message });
    expect(JSON.stringify(events)).not.toContain('duplicate');
    await unsubscribe();
  });

  it('a Redis error deep in a cause chain: the user sees a reference, the log has the whole chain', async () => {
    const redisText = "READONLY You can't write against a read only replica.";
    const { syncId, unsubscribe } = await runFailing(() => {
      throw new Error('metadata cache write failed', { cause: new Error(redisText) });
    });
    await settled(syncId);
    platform.setFault(undefined);
    const row = await syncLog(syncId);
    const reference = REFERENCE.exec(row.error_message ?? '')?.[1];
    expect(reference).toBeDefined();
    expect(row.error_message).not.toMatch(/READONLY|replica|metadata cache/);
    const line = errorLinesFor(syncId).find((l) => l.errorId === reference);
    expect(JSON.stringify(line)).toContain('READONLY');
    expect(JSON.stringify(line)).toContain('metadata cache write failed');
    await unsubscribe();
  });

  it('while an internal error waits for its retry, the row shows the reference, not the error', async () => {
    let calls = 0;
    let failed!: () => void;
    const firstFailure = new Promise<void>((resolve) => (failed = resolve));
    const { syncId, unsubscribe } = await runFailing(() => {
      calls += 1;
      if (calls === 1) {
        setImmediate(failed);
        throw new Error('Connection terminated unexpectedly (pg pool)');
      }
    }, { attempts: 2, backoffMs: 3_000 });
    await firstFailure;
    await expect.poll(async () => (await syncLog(syncId)).error_code, { timeout: 2_500 }).toBe('internal_error');
    const waiting = await syncLog(syncId);
    expect(waiting.status).toBe('running');
    expect(waiting.error_message).toMatch(REFERENCE);
    const reference = REFERENCE.exec(waiting.error_message!)![1];
    expect(JSON.stringify(errorLinesFor(syncId).find((l) => l.errorId === reference))).toContain('Connection terminated unexpectedly');

    const job = await settled(syncId);
    platform.setFault(undefined);
    expect(await job.getState()).toBe('completed');
    expect(await syncLog(syncId)).toMatchObject({ status: 'succeeded', error_code: null, error_message: null });
    await unsubscribe();
  });

  it('a platform outcome keeps its code and a message of ours, never the platform body the error quotes', async () => {
    const upstream = '<html><body>Internal upstream trace id=42 secret-ish</body></html>';
    const cases: [PlatformError, string, RegExp][] = [
      [new PlatformError({ kind: 'malformed', platform: 'steam', endpoint: 'steam.GetOwnedGames', status: 200, message: `steam.GetOwnedGames answered 200 with a body that is not JSON: ${upstream}` }),
        'platform_malformed_response', /^Steam answered something this server cannot read \(steam\.GetOwnedGames\)$/],
      [new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.token', status: 400, message: `PSN rejected the grant: ${upstream}` }),
        'invalid_credentials', /^PlayStation Network no longer accepts the stored sign-in; link the account again$/],
      [new PlatformError({ kind: 'auth', platform: 'xbox', endpoint: 'xbox.xstsAuthorize', status: 401, code: 'xbox_child_account', message: `XSTS refused (XErr 2148916238): ${upstream}` }),
        'xbox_child_account', /^A child account must be added to a Microsoft family by an adult$/],
      [new PlatformError({ kind: 'config', platform: 'steam', endpoint: 'steam.GetOwnedGames', status: 403, message: `steam.GetOwnedGames: ${upstream}` }),
        'platform_misconfigured', /^Syncing Steam is not configured correctly on this server$/],
    ];
    for (const [error, code, message] of cases) {
      const { syncId, events, unsubscribe } = await runFailing(() => {
        throw error;
      });
      await settled(syncId);
      platform.setFault(undefined);
      const row = await syncLog(syncId);
      expect(row.error_code).toBe(code);
      expect(row.error_message).toMatch(message);
      await expect.poll(() => events.find((e) => e.status === 'failed')?.errorMessage).toBe(row.error_message);
      // The logs keep what the platform said.
      expect(JSON.stringify(logs.lines.filter((l) => l.syncId === syncId))).toContain('secret-ish');
      await unsubscribe();
    }
  });
});
