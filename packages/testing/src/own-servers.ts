import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

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

/** The folder on PATH holding every one of `commands` (executable), if any. */
export function findOnPath(commands: string[], path = process.env.PATH ?? ''): string | undefined {
  return path.split(delimiter).find((dir) => dir !== '' && commands.every((command) => isExecutable(join(dir, command))));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `initdb` and `pg_ctl` are: PG_BIN when set, else the newest /usr/lib/postgresql/<version>/bin
 * (Debian and Ubuntu keep them off PATH), else PATH. Undefined when there is no local Postgres.
 */
export function findPostgresBinDir(pgBin = process.env.PG_BIN, path = process.env.PATH, debianRoot = '/usr/lib/postgresql'): string | undefined {
  const hasBoth = (dir: string) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl'));
  if (pgBin) return hasBoth(pgBin) ? pgBin : undefined;
  let versions: string[] = [];
  try {
    versions = readdirSync(debianRoot).filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    // not a Debian-style layout
  }
  const newest = versions
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(debianRoot, version, 'bin'))
    .find(hasBoth);
  return newest ?? findOnPath(['initdb', 'pg_ctl'], path);
}

export interface OwnRedisOptions {
  /**
   * Run redis-server in a process group of its own, so the terminal's Ctrl-C (SIGINT to the whole
   * foreground group) does not reach it and its owner stops it after the processes using it (the
   * postmaster always is: pg_ctl starts it in a session of its own). Tests leave it off: an
   * interrupted test run then takes its Redis down with it.
   */
  detached?: boolean;
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
export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG';
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
      detached: options.detached ?? false,
    });
    // A missing binary is an 'error' event, not a throw: fail now rather than after the ping deadline.
    const failed = new Promise<never>((_, reject) => child!.once('error', reject));
    await Promise.race([waitFor(ping, 10_000, `redis-server on ${port}`), failed]);
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
  /** Data folder, log and socket: all of it is removed by destroy(). */
  dir: string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  destroy: () => Promise<void>;
}

/** A private Postgres cluster (initdb + pg_ctl) for tests that restart the database. */
export async function startOwnPostgres(options: { binDir?: string } = {}): Promise<OwnPostgres> {
  const binDir = options.binDir ?? findPostgresBinDir();
  if (!binDir) throw new Error('no initdb/pg_ctl found: set PG_BIN, or install Postgres (/usr/lib/postgresql/<version>/bin or PATH)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ach-pg-'));
  const data = join(dir, 'data');
  // initdb refuses to run as root; the CI machine runs everything as root, so run as postgres there.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asUser.length) spawnSync('chown', ['postgres', dir]);
  const run = (args: string[], mustSucceed = true) => {
    const [cmd, ...rest] = [...asUser, ...args];
    const result = spawnSync(cmd!, rest, { encoding: 'utf8' });
    if (mustSucceed && result.status !== 0) throw new Error(`${args[0]} failed: ${result.error?.message ?? (result.stderr || result.stdout)}`);
  };
  const start = async () => {
    run([`${binDir}/pg_ctl`, '-D', data, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', 'start']);
  };
  const stop = async () => {
    run([`${binDir}/pg_ctl`, '-D', data, '-m', 'immediate', '-w', 'stop'], false);
  };
  const destroy = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run([`${binDir}/initdb`, '-D', data, '-U', 'root', '--auth=trust', '-E', 'UTF8']);
    await start();
  } catch (error) {
    await destroy();
    throw error;
  }
  return { port, url: `postgres://root@127.0.0.1:${port}/postgres`, dir, start, stop, destroy };
}

export interface OwnRedisClusterNode {
  port: number;
  /** False once `kill` or `failover` killed it (or `stop` ran): its port answers nothing. */
  alive: boolean;
}

export interface ClusterFailover {
  /** The node that was killed. */
  killedPort: number;
  /** The replica that took over its slots; undefined when the killed node was a replica. */
  promotedPort: number | undefined;
  /** From the SIGKILL until every surviving node said cluster_state:ok (with the replica promoted). */
  tookMs: number;
}

export interface OwnRedisCluster {
  /** Every node's address, comma-separated: the cluster form REDIS_URL takes (`redis://127.0.0.1:p1,127.0.0.1:p2,…`). */
  url: string;
  /** One node as a seed with `?cluster=true`: the config-endpoint form of REDIS_URL. */
  seedUrl: string;
  nodes: OwnRedisClusterNode[];
  /** The port of the master serving `key`'s hash slot now. */
  masterOf(key: string): Promise<number>;
  /** The role of a live node now. */
  roleOf(port: number): Promise<'master' | 'replica'>;
  /**
   * The real failure: SIGKILLs the master serving `key`'s slot and resolves once its replica has been
   * promoted (the surviving nodes vote it in after cluster-node-timeout) and every surviving node
   * reports cluster_state:ok again.
   */
  failover(key: string, timeoutMs?: number): Promise<ClusterFailover>;
  /**
   * SIGKILLs one node (master or replica) and waits as `failover` does; a master without a live
   * replica is not waited for (its slots stay unserved: `promotedPort` undefined).
   */
  kill(port: number, timeoutMs?: number): Promise<ClusterFailover>;
  /** Kills every node and removes their directories. */
  stop(): Promise<void>;
}

/** cluster-node-timeout of the test cluster: a killed master is voted out after about this long. */
const CLUSTER_NODE_TIMEOUT_MS = 2_000;

function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 5_000 }, (error, stdout) => resolve(error ? '' : stdout));
  });
}

interface ClusterNodeLine {
  port: number;
  flags: string[];
  masterId: string;
  id: string;
  slots: Array<[number, number]>;
}

/** CLUSTER NODES as seen by one node: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`. */
function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      return {
        id: id!,
        port: Number(address!.split('@')[0]!.split(':').pop()),
        flags: flags!.split(','),
        masterId: masterId!,
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to] = s.split('-').map(Number);
            return [from!, to ?? from!] as [number, number];
          }),
      };
    });
}

/**
 * A private Redis Cluster for tests: 3 masters with one replica each (6 redis-server processes with
 * --cluster-enabled yes on free ports, each with a directory of its own for nodes.conf), joined by
 * `redis-cli --cluster create --cluster-replicas 1`. cluster-node-timeout is 2 s so a killed master
 * is failed over within seconds. Nothing is kept on disk.
 */
export async function startOwnRedisCluster(): Promise<OwnRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ach-redis-cluster-'));
  const ports: number[] = [];
  // Each node needs a client port and a cluster-bus port; all twelve distinct.
  while (ports.length < 12) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const children = new Map<number, ChildProcess>();
  const nodes: OwnRedisClusterNode[] = [];
  const stop = async () => {
    await Promise.all(
      [...children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    for (const node of nodes) node.alive = false;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = ports[i]!;
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const child = spawn(
        'redis-server',
        [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no',
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(ports[6 + i]),
          '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
        ],
        { stdio: 'ignore' },
      );
      children.set(port, child);
      nodes.push({ port, alive: true });
    }
    for (const { port } of nodes) await waitFor(async () => (await redisCli(port, 'ping')).trim() === 'PONG', 10_000, `redis-server on ${port}`);
    const created = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const args = ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'];
      execFile('redis-cli', args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.output.slice(-500)}`);
    // Ready for a failover test: every node sees the whole cluster ok, and every replica has synced with its master.
    await waitFor(
      async () => {
        for (const { port } of nodes) {
          const info = await redisCli(port, 'cluster', 'info');
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_known_nodes:6')) return false;
          const replication = await redisCli(port, 'info', 'replication');
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
        }
        return true;
      },
      30_000,
      'the redis cluster to be ok',
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const livePort = () => {
    const node = nodes.find((n) => n.alive);
    if (!node) throw new Error('no node of the cluster is alive');
    return node.port;
  };
  const slotOf = async (key: string) => Number((await redisCli(livePort(), 'cluster', 'keyslot', key)).trim());
  /** The master serving `slot` according to `port`, unless that node thinks it failed. */
  const masterFor = async (port: number, slot: number) =>
    parseClusterNodes(await redisCli(port, 'cluster', 'nodes')).find(
      (n) => n.flags.includes('master') && !n.flags.includes('fail') && !n.flags.includes('fail?') && n.slots.some(([from, to]) => slot >= from && slot <= to),
    );

  async function kill(port: number, timeoutMs = 30_000): Promise<ClusterFailover> {
    const node = nodes.find((n) => n.port === port && n.alive);
    if (!node) throw new Error(`no live node of the cluster on ${port}`);
    const view = parseClusterNodes(await redisCli(port, 'cluster', 'nodes'));
    const own = view.find((n) => n.flags.includes('myself'));
    const slots = own?.flags.includes('master') ? own.slots : [];
    // A master without a live replica leaves its slots unserved for good: nothing to wait for.
    const replicated = view.some((n) => n.masterId === own?.id && !n.flags.includes('fail') && !n.flags.includes('fail?'));
    const child = children.get(port)!;
    const started = Date.now();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    node.alive = false;
    let promotedPort: number | undefined;
    if (slots.length > 0 && !replicated) return { killedPort: port, promotedPort, tookMs: Date.now() - started };
    await waitFor(
      async () => {
        for (const survivor of nodes.filter((n) => n.alive)) {
          if (!(await redisCli(survivor.port, 'cluster', 'info')).includes('cluster_state:ok')) return false;
          if (slots.length === 0) continue;
          const master = await masterFor(survivor.port, slots[0]![0]);
          if (!master || master.port === port) return false;
          promotedPort = master.port;
        }
        return true;
      },
      timeoutMs,
      slots.length > 0 ? `a replica to take over the slots of ${port}` : `the cluster to be ok without ${port}`,
    );
    return { killedPort: port, promotedPort, tookMs: Date.now() - started };
  }

  return {
    url: `redis://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    seedUrl: `redis://127.0.0.1:${nodes[0]!.port}?cluster=true`,
    nodes,
    async masterOf(key) {
      const master = await masterFor(livePort(), await slotOf(key));
      if (!master) throw new Error(`no master serves the slot of ${key}`);
      return master.port;
    },
    async roleOf(port) {
      return (await redisCli(port, 'role')).startsWith('master') ? 'master' : 'replica';
    },
    async failover(key, timeoutMs = 30_000) {
      const slot = await slotOf(key);
      const victim = await masterFor(livePort(), slot);
      if (!victim) throw new Error(`no master serves slot ${slot}`);
      return kill(victim.port, timeoutMs);
    },
    kill,
    stop,
  };
}
