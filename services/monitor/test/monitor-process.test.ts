import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedis, freePort, type TestDatabase, type TestRedis } from '@ach/testing';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const METRICS_TOKEN = 'monitor-metrics-token-0123456789';

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

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.url, REDIS_URL: r.url, QUEUE_PREFIX: r.prefix, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('the monitor process', () => {
  it('serves /health and /metrics (behind METRICS_TOKEN), runs its schedule, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const monitor = start({ MONITOR_METRICS_PORT: String(port), METRICS_TOKEN, MONITOR_INCREMENTAL_EVERY_MS: '500' });
    try {
      await expect.poll(() => monitor.output(), { timeout: 30_000, interval: 100 }).toContain('"msg":"monitor ready"');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { postgres: true, redis: true } }]);

      const refused = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(await refused.json()).toMatchObject({ status: 401, code: 'missing_token' });
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);

      // Once a scheduled run is recorded (and counted), every check and the overall status are gauges.
      // Wait for a check's gauge, not the status: a label-less gauge reads 0 before any run exists.
      const scrape = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        return res.status === 200 ? res.text() : '';
      };
      await expect.poll(async () => {
        const text = await scrape();
        return text.includes('monitor_quality_check_value{check="ghost_users"}')
          && /monitor_runs_total\{check_type="(full|incremental)",outcome="completed"\} [1-9]/.test(text);
      }, { timeout: 30_000, interval: 250 }).toBe(true);
      const metrics = await scrape();
      expect(metrics).toContain('monitor_quality_status 0');
      for (const check of ['ghost_users', 'orphaned_profiles', 'auth_users_parity', 'auth_triggers', 'progress_parity', 'stuck_syncs', 'queue_health']) {
        expect(metrics).toContain(`monitor_quality_check_value{check="${check}"}`);
        expect(metrics).toContain(`monitor_quality_check_status{check="${check}"} 0`);
      }
      expect(metrics).toContain('monitor_quality_check_value{check="auth_triggers"} 2');
      expect(metrics).toMatch(/monitor_queue_jobs\{queue="sync-steam",state="waiting"\} 0/);
      expect(metrics).toMatch(/monitor_runs_total\{check_type="(full|incremental)",outcome="completed"\} [1-9]/);
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    } finally {
      monitor.child.kill('SIGTERM');
    }
    expect(await monitor.exited).toBe(0);
    expect(monitor.output()).toContain('shutdown complete');
  });

  it.each([
    [{ MONITOR_TZ: 'Mars/Olympus_Mons' }, 'MONITOR_TZ'],
    [{ MONITOR_CRON: '61 * * * *' }, 'MONITOR_CRON'],
    [{ MONITOR_INCREMENTAL_EVERY_MS: 'often' }, 'MONITOR_INCREMENTAL_EVERY_MS'],
    [{ MONITOR_AUTO_BACKFILL: 'maybe' }, 'MONITOR_AUTO_BACKFILL'],
    [{ ALERT_WEBHOOK_URL: 'http://hooks.example.com/x' }, 'ALERT_WEBHOOK_URL'],
    [{ ALERT_SMTP_URL: 'smtp://mail.example.com:587', ALERT_EMAIL_FROM: 'monitor@example.com' }, 'ALERT_EMAIL_TO'],
    [{ ALERT_EMAIL_TO: 'ops@example.com' }, 'ALERT_EMAIL_TO'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
  ])('refuses to start on a bad setting (%o), naming it, with exit code 78', async (env, variable) => {
    const monitor = start(env);
    expect(await monitor.exited).toBe(78);
    expect(monitor.output()).toContain(`${variable}:`);
  });
});
