import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPostgresBinDir, freePort } from '@ach/testing/own-servers';
import { postgresAnswers, redisAnswers } from '../demo/server-probes.ts';

// `npm run demo` on a machine where DATABASE_URL and REDIS_URL do not answer: it starts throwaway
// servers, syncs all three platforms, prints the dashboard, and on the terminal's Ctrl-C (SIGINT to
// its whole process group) stops every service cleanly and deletes the servers.
const script = join(import.meta.dirname, '../demo.ts');
let leftovers: { pgDir?: string; redisPort?: string; group?: number } = {};

afterAll(() => {
  // Only when the test failed half-way: nothing of it may outlive the run.
  // process.kill, never the kill binary: procps-ng 4.0.2 reads `kill -KILL -<pgid>` as kill(-1) — every process.
  if (leftovers.group && leftovers.group > 1) {
    try {
      process.kill(-leftovers.group, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
  if (leftovers.redisPort) spawnSync('redis-cli', ['-p', leftovers.redisPort, 'shutdown', 'nosave']);
  if (leftovers.pgDir && existsSync(leftovers.pgDir)) {
    const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
    const [cmd, ...args] = [...asUser, join(findPostgresBinDir()!, 'pg_ctl'), '-D', join(leftovers.pgDir, 'data'), '-m', 'immediate', 'stop'];
    spawnSync(cmd!, args);
    rmSync(leftovers.pgDir, { recursive: true, force: true });
  }
});

describe('npm run demo without a Postgres or Redis that answers', () => {
  it('runs on throwaway servers, syncs every platform, and on Ctrl-C exits 0 with the servers gone', { timeout: 150_000 }, async () => {
    const [pgPort, redisPort, apiPort, sandboxPort, monitorPort] = await Promise.all(Array.from({ length: 5 }, freePort));
    const demo = spawn(process.execPath, [script], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...(process.env.PG_BIN ? { PG_BIN: process.env.PG_BIN } : {}),
        DATABASE_URL: `postgres://root@127.0.0.1:${pgPort}/achievements`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        PORT: String(apiPort),
        SANDBOX_PORT: String(sandboxPort),
        MONITOR_METRICS_PORT: String(monitorPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, like a shell job: the SIGINT below goes to the group, as Ctrl-C does.
      detached: true,
    });
    leftovers.group = demo.pid;
    let out = '';
    demo.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 120_000;
    while (!out.includes('Running until Ctrl-C.') && demo.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const pg = /started a throwaway Postgres at (postgres:\/\/root@127\.0\.0\.1:(\d+)\/achievements) \(data in (\S+)\)/.exec(out);
    const redis = /started a throwaway redis-server at (redis:\/\/127\.0\.0\.1:(\d+))/.exec(out);
    leftovers = { ...leftovers, ...(pg ? { pgDir: pg[3] } : {}), ...(redis ? { redisPort: redis[2] } : {}) };
    expect(out, out).toContain('Running until Ctrl-C.');

    expect(out).toContain(`DATABASE_URL (postgres://root@127.0.0.1:${pgPort}/achievements) does not answer: started a throwaway Postgres`);
    expect(out).toContain(`REDIS_URL (redis://127.0.0.1:${redisPort}) does not answer: started a throwaway redis-server`);
    for (const platform of ['psn', 'xbox', 'steam']) expect(out).toMatch(new RegExp(`^${platform} +succeeded: [1-9]\\d* games`, 'm'));
    expect(out).toContain(`Dashboard     http://127.0.0.1:${apiPort}/admin/dashboard`);
    expect(await postgresAnswers(pg![1]!, 2_000)).toBe(true);
    expect(await redisAnswers(redis![1]!, 2_000)).toBe(true);

    process.kill(-demo.pid!, 'SIGINT');
    // Exit 0 only when every service stopped cleanly on one SIGTERM; a service that also got the
    // terminal's SIGINT takes the second signal as "quit now" and exits 1.
    expect(await exited, out).toBe(0);
    leftovers.group = undefined;
    expect(out).not.toContain('did not stop cleanly');
    expect(existsSync(pg![3]!)).toBe(false);
    expect(await postgresAnswers(pg![1]!, 2_000)).toBe(false);
    expect(await redisAnswers(redis![1]!, 2_000)).toBe(false);
  });
});
