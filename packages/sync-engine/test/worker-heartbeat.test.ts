import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import { runWorkerProcess, type WorkerPlatform } from '../src/index.ts';

const platform: WorkerPlatform = {
  id: 9,
  slug: 'later',
  displayName: 'Later',
  queueName: 'sync-later',
  env: z.object({}),
  createClient: () => ({}),
};

let t: TestDatabase;
let r: TestRedis;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  r = createTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'ach-heartbeat-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await r?.cleanup();
  await t?.drop();
});

const env = (file: string) => ({
  DATABASE_URL: t.url,
  REDIS_URL: r.url,
  QUEUE_PREFIX: r.prefix,
  CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'silent',
  WORKER_HEARTBEAT_FILE: file,
  WORKER_HEARTBEAT_EVERY_MS: '100',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const beatAt = (file: string) => Number(readFileSync(file, 'utf8'));
async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('worker heartbeat (WORKER_HEARTBEAT_FILE)', () => {
  it('is written while Redis and Postgres answer, kept fresh, and removed on close', async () => {
    const file = join(dir, 'fresh');
    const worker = await runWorkerProcess(platform, { env: env(file) });
    try {
      const first = await until('the first beat', () => (existsSync(file) ? beatAt(file) : undefined));
      expect(Math.abs(Date.now() - first)).toBeLessThan(60_000);
      await until('a later beat', () => (beatAt(file) > first ? true : undefined));
    } finally {
      await worker.close();
    }
    // A worker shutting down is no longer reported healthy.
    expect(existsSync(file)).toBe(false);
  });

  it('stops beating when Redis stops answering, so the file goes stale', async () => {
    const file = join(dir, 'redis-gone');
    const worker = await runWorkerProcess(platform, { env: env(file) });
    try {
      await until('the first beat', () => (existsSync(file) ? true : undefined));
      worker.connections.redis.disconnect();
      // A beat already under way may still land: wait until the content settles, then watch it stay.
      await sleep(300);
      const last = beatAt(file);
      await sleep(1_000);
      expect(beatAt(file)).toBe(last);
    } finally {
      await worker.close().catch(() => undefined);
    }
  });

  it('without WORKER_HEARTBEAT_FILE nothing is written', async () => {
    const { WORKER_HEARTBEAT_FILE: _unused, ...withoutFile } = env(join(dir, 'none'));
    const worker = await runWorkerProcess(platform, { env: withoutFile });
    await sleep(300);
    await worker.close();
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });
});
