import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedis, freePort, type TestDatabase, type TestRedis } from '@ach/testing';

const root = join(import.meta.dirname, '../../..');
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

interface Run {
  code: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

/** Starts an entry point, waits for its ready line, sends SIGTERM, and collects what it printed. */
function startThenTerminate(entry: string, env: Record<string, string>, ready: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} never became ready: ${stdout}${stderr}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!signalled && ready.test(stdout)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, lines, stderr });
    });
  });
}

describe('service entry points', () => {
  const baseEnv = () => ({
    DATABASE_URL: t.url,
    REDIS_URL: r.url,
    QUEUE_PREFIX: r.prefix,
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
  });

  for (const [service, entry] of [
    ['worker-psn', 'services/worker-psn/src/main.ts'],
    ['worker-xbox', 'services/worker-xbox/src/main.ts'],
    ['monitor', 'services/monitor/src/main.ts'],
    ['api', 'services/api/src/server.ts'],
    ['worker-steam', 'services/worker-steam/src/main.ts'],
    ['platform-sandbox', 'services/platform-sandbox/src/server.ts'],
  ] as const) {
    it(`${service} connects, logs pino JSON and exits 0 on SIGTERM`, async () => {
      const port = String(await freePort());
      const env = { ...baseEnv(), PORT: port, SANDBOX_PORT: port, SUPABASE_JWT_SECRET: 'lifecycle-test-secret-lifecycle-test-secret', STEAM_API_KEY: 'lifecycle-test-key' };
      const run = await startThenTerminate(entry, env, /ready|listening|started/i);
      expect(run.code).toBe(0);
      expect(run.lines.length).toBeGreaterThanOrEqual(2);
      for (const line of run.lines) {
        expect(line).toMatchObject({ service, level: expect.any(Number), time: expect.any(String) });
      }
      expect(run.lines.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/ready|listening|started/i), 'shutdown complete']));
    });
  }

  it('a missing required variable stops the process with a message naming it', async () => {
    const env = { ...baseEnv(), CREDENTIALS_ENCRYPTION_KEY: 'too-short' };
    const run = await startThenTerminate('services/worker-psn/src/main.ts', env, /never/).catch((e: Error) => e);
    expect(run).not.toBeInstanceOf(Error);
    expect((run as Run).code).toBe(78);
    expect((run as Run).stderr).toContain('CREDENTIALS_ENCRYPTION_KEY');
  });
});
