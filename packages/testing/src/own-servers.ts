import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port the kernel just handed out and released: free at the time of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface OwnRedis {
  port: number;
  url: string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

/**
 * A private redis-server for tests that stop and restart Redis; the shared one is never touched.
 * Same port across restarts so clients reconnect to it.
 */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG';
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(ping, 10_000, `redis-server on ${port}`);
  };
  const stop = async () => {
    // After a SIGKILL it is signalCode, not exitCode, that says the process is gone.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop };
}

export interface OwnPostgres {
  port: number;
  url: string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  destroy: () => Promise<void>;
}

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A private Postgres cluster (initdb + pg_ctl) for tests that restart the database. */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ach-pg-'));
  const data = join(dir, 'data');
  // initdb refuses to run as root; the CI machine runs everything as root, so run as postgres there.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asUser.length) spawnSync('chown', ['postgres', dir]);
  const run = (args: string[], mustSucceed = true) => {
    const [cmd, ...rest] = [...asUser, ...args];
    const result = spawnSync(cmd!, rest, { encoding: 'utf8' });
    if (mustSucceed && result.status !== 0) throw new Error(`${args[0]} failed: ${result.stderr || result.stdout}`);
  };
  run([`${PG_BIN}/initdb`, '-D', data, '-U', 'root', '--auth=trust', '-E', 'UTF8']);
  const start = async () => {
    run([`${PG_BIN}/pg_ctl`, '-D', data, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', 'start']);
  };
  const stop = async () => {
    run([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'immediate', '-w', 'stop'], false);
  };
  await start();
  return {
    port,
    url: `postgres://root@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
