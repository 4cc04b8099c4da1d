import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedis, freePort, type TestDatabase, type TestRedis } from '@ach/testing';

const server = join(import.meta.dirname, '../src/server.ts');
const secret = 'j'.repeat(32);
let t: TestDatabase;
let r: TestRedis;
let child: ChildProcess | undefined;
let base: string;

beforeAll(async () => {
  t = await createTestDatabase();
  r = createTestRedis();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [server], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: t.url,
      REDIS_URL: r.url,
      QUEUE_PREFIX: r.prefix,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SUPABASE_JWT_SECRET: secret,
      SYNC_RATE_LIMIT_PER_MINUTE: '2',
    },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${base}/ready`).then((res) => res.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the api did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await r?.cleanup();
  await t?.drop();
});

describe('the api process takes its rate limits from env', () => {
  it('SYNC_RATE_LIMIT_PER_MINUTE=2: the third sync request of a user within a minute is 429 rate_limited', async () => {
    const token = await new SignJWT({ role: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(randomUUID())
      .setAudience('authenticated')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secret));
    const request = () => fetch(`${base}/sync/steam`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await request()).status);
    // The first two reach the route (whatever it answers for a user without a link); the third does not.
    expect(statuses).not.toContain(429);
    const third = await request();
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe('rate_limited');
  });
});
