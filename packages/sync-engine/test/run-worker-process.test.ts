import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '@ach/config';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import { runWorkerProcess, type WorkerPlatform } from '../src/index.ts';

/** A platform without an adapter yet (as PSN and Xbox are until their issues), with one required variable. */
const adapterless: WorkerPlatform = {
  id: 9,
  slug: 'later',
  displayName: 'Later',
  queueName: 'sync-later',
  env: z.object({ LATER_API_KEY: z.string({ error: 'is required' }).min(1) }),
  createClient: () => ({}),
};

let t: TestDatabase;
let r: TestRedis;
beforeAll(async () => {
  t = await createTestDatabase();
  r = createTestRedis();
});
afterAll(async () => {
  await r?.cleanup();
  await t?.drop();
});

const env = () => ({
  DATABASE_URL: t.url,
  REDIS_URL: r.url,
  QUEUE_PREFIX: r.prefix,
  CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'silent',
});

describe('runWorkerProcess in-process', () => {
  it("reads the module's env piece: a missing variable is a ConfigError naming it (not an exit)", async () => {
    const failure = await runWorkerProcess(adapterless, { env: env() }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).variables).toEqual(['LATER_API_KEY']);
  });

  it('refuses a cluster REDIS_URL whose QUEUE_PREFIX has no hash tag (ConfigError naming QUEUE_PREFIX), before connecting', async () => {
    const cluster = { ...env(), LATER_API_KEY: 'k', REDIS_URL: 'redis://127.0.0.1:1,127.0.0.1:2', QUEUE_PREFIX: 'ach' };
    const failure = await runWorkerProcess(adapterless, { env: cluster }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).variables).toEqual(['QUEUE_PREFIX']);
  });

  it('a module without an adapter connects, consumes nothing and closes (twice is fine)', async () => {
    const worker = await runWorkerProcess(adapterless, { env: { ...env(), LATER_API_KEY: 'k', WORKER_CONCURRENCY: '2' } });
    expect(worker.worker).toBeUndefined();
    expect(worker.env).toMatchObject({ LATER_API_KEY: 'k', WORKER_CONCURRENCY: 2, SHUTDOWN_GRACE_MS: 20_000 });
    await worker.close();
    await worker.close();
  });
});
