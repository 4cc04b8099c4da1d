import { Cluster } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlatforms, type PlatformModule } from '@ach/platform-registry';
import { freePort, startOwnRedisCluster, type ClusterFailover, type OwnRedisCluster } from '@ach/testing';
import { sandboxAccountKit, type RequestWindow } from '../support/sandbox-account-kits.ts';
import { linkAccount, requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, waitFor, type RunningSystem } from '../support/system-under-test.ts';

/**
 * "Redis Cluster: the whole path (API → queues → workers → monitor) against a Redis Cluster of 3
 * masters with a replica each, including a failover of the master that holds the queues' slot."
 *
 * The test starts its own cluster (6 redis-server --cluster-enabled yes, cluster-node-timeout 2 s) and
 * the whole system on it with REDIS_URL = every node, comma-separated, and QUEUE_PREFIX `{ach}`: every
 * key the product builds hashes to the one slot of `ach`. Syncs are paced (each platform's call budget,
 * shared by the worker replicas through Redis scripts on that slot) so they last a few seconds; the
 * master serving the slot is SIGKILLed while they run, its replica is voted in, and every accepted run
 * must still succeed, every process keep running, and the system take new syncs and stream progress.
 */
const PREFIX = '{ach}';
const LIBRARY = { titles: 12, achievementsPerTitle: 5 };
/** A per-account budget (PSN, Xbox) slow enough that a full sync of LIBRARY takes a few seconds. */
const PACE: RequestWindow = { max: 5, seconds: 1 };
/** Steam has no per-account window: its worker paces all calls through one token bucket. */
const STEAM_CALLS_PER_SECOND = '5';
/** The monitor checks often (queue health, stuck-sync sweep) so its runs meet the failover. */
const MONITOR_ENV = { MONITOR_INCREMENTAL_EVERY_MS: '2000', MONITOR_STUCK_SYNC_AFTER_MS: '8000' };
/** A stream ends with `reconnect` after this: the bound on how long a client misses a run's end. */
const SSE_LIFETIME_MS = 20_000;

let cluster: OwnRedisCluster;
let system: RunningSystem;
let monitorPort: number;
let observer: Cluster;
let accountNumber = 0;

function workerEnv(module: PlatformModule): Record<string, string> {
  const window = sandboxAccountKit(module).requestWindow?.workerEnv(PACE) ?? {};
  return module.slug === 'steam' ? { ...window, STEAM_RATE_LIMIT_PER_SECOND: STEAM_CALLS_PER_SECOND } : window;
}

beforeAll(async () => {
  cluster = await startOwnRedisCluster();
  monitorPort = await freePort();
  system = await startSystem({
    label: 'redis-cluster',
    redis: { url: cluster.url, prefix: PREFIX },
    envFor: {
      api: { SSE_MAX_STREAM_LIFETIME_MS: String(SSE_LIFETIME_MS) },
      monitor: { ...MONITOR_ENV, MONITOR_METRICS_PORT: String(monitorPort) },
      ...Object.fromEntries(builtinPlatforms.map((p) => [`worker-${p.slug}`, workerEnv(p)])),
    },
  });
  // The test's own view of the cluster (the services have theirs): one seed, the rest discovered.
  observer = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], { redisOptions: { maxRetriesPerRequest: 1 } });
  observer.on('error', () => {});
});
afterAll(async () => {
  observer?.disconnect();
  try {
    await system?.stop();
  } finally {
    await cluster?.stop();
  }
});

/** A new user with a small account of their own on every platform (PSN and Xbox links prove ownership: one user per account). */
async function userWithEveryPlatform(): Promise<{ authorization: string }> {
  const user = await system.signUp();
  for (const module of builtinPlatforms) {
    const account = sandboxAccountKit(module).create(system.sandbox.state, accountNumber++, LIBRARY);
    await linkAccount(system, user.authorization, module.slug, account.linkBody);
  }
  return user;
}

/**
 * GET /sync/:platform/events read until the stream says `end` or `reconnect` (or the deadline):
 * the text, for the test to find the frames in.
 */
async function followStream(authorization: string, platform: string, deadlineMs = SSE_LIFETIME_MS + 10_000): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  let text = '';
  try {
    const res = await fetch(`${system.apiUrl}/sync/${platform}/events`, { headers: { authorization, accept: 'text/event-stream' }, signal: controller.signal });
    if (res.status !== 200) return `HTTP ${res.status}: ${await res.text()}`;
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (/^event: (end|reconnect)$/m.test(text)) break;
    }
  } catch (error) {
    text += `\n(stream broke: ${(error as Error).name})`;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return text;
}

/** The frames of one stream, parsed. */
function framesOf(text: string): { event: string; data: { status?: string; progress?: number } }[] {
  return text
    .split('\n\n')
    .map((block) => ({ event: /^event: (.+)$/m.exec(block)?.[1], data: /^data: (.+)$/m.exec(block)?.[1] }))
    .filter((f): f is { event: string; data: string } => f.event !== undefined && f.data !== undefined)
    .map((f) => ({ event: f.event, data: JSON.parse(f.data) as { status?: string; progress?: number } }));
}

/** A stream that followed a run live: progress frames, then `succeeded`, then `end`. */
function expectLiveStreamOfSuccess(text: string): void {
  const frames = framesOf(text);
  expect(frames.some((f) => f.event === 'progress'), text).toBe(true);
  expect(frames.at(-2)?.data.status, text).toBe('succeeded');
  expect(frames.at(-1)?.event, text).toBe('end');
}

/**
 * Every key on every master, sampled every 100 ms until `stop()` (the database is small): catches the
 * keys that live only while a run does (checkpoints, rate-limit logs, stream slots). Key → its master's port.
 */
function watchKeys(): { stop: () => Promise<Map<string, number>> } {
  const seen = new Map<string, number>();
  let watching = true;
  const sampling = (async () => {
    while (watching) {
      for (const node of observer.nodes('master')) for (const key of await node.keys('*').catch(() => [])) seen.set(key, node.options.port!);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      watching = false;
      await sampling;
      return seen;
    },
  };
}

function expectEveryProcessRunning(): void {
  const exited = system.services.filter((s) => s.child.exitCode !== null || s.child.signalCode !== null).map((s) => `${s.name}: ${s.child.exitCode ?? s.child.signalCode}`);
  expect(exited).toEqual([]);
}

interface MonitorRun {
  id: number;
  run_at: Date;
  checks: Record<string, { status: string; details: { queues?: Record<string, { counts: Record<string, number> }>; errors?: Record<string, string> } }>;
}

/** Quality runs the monitor recorded after `since`. */
const monitorRunsSince = async (since: Date) =>
  (await sql<MonitorRun>`select id, run_at, checks from public.user_sync_monitoring_log where run_at > ${since} order by run_at`.execute(system.db)).rows;

/**
 * The monitor read every platform's queue through the cluster in a run recorded after `since`, and
 * answers /ready with Redis up and /metrics.
 */
async function expectMonitorReadsTheCluster(since: Date): Promise<void> {
  const queueNames = builtinPlatforms.map((p) => p.queueName).sort();
  let read: MonitorRun | undefined;
  await waitFor(
    'a monitor run that read every queue',
    async () => {
      read = (await monitorRunsSince(since)).find((run) => {
        const health = run.checks.queue_health;
        return health?.status === 'pass' && Object.keys(health.details.queues ?? {}).sort().join() === queueNames.join() && !health.details.errors;
      });
      return read !== undefined;
    },
    30_000,
    250,
  );
  // The monitor process itself logged that run (its schedule is a BullMQ job scheduler on the cluster too).
  const monitorLines = system.services.filter((s) => s.kind === 'monitor').flatMap((s) => s.lines);
  expect(monitorLines.some((l) => l.includes('"msg":"quality check recorded"') && l.includes(`"monitoringLogId":${read!.id},`))).toBe(true);
  const ready = await fetch(`http://127.0.0.1:${monitorPort}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ checks: { redis: true, postgres: true } });
  const metrics = await fetch(`http://127.0.0.1:${monitorPort}/metrics`, { headers: { authorization: `Bearer ${system.secrets.metricsToken}` } });
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('monitor_quality_status');
}

describe('the system on a Redis Cluster', () => {
  it('links and syncs every platform through API → queues → workers, streams progress, and the monitor checks the cluster', async () => {
    const started = new Date();
    const keys = watchKeys();
    const user = await userWithEveryPlatform();
    const ids: string[] = [];
    const streams: Promise<string>[] = [];
    for (const { slug } of builtinPlatforms) {
      ids.push(await requestSync(system, user.authorization, slug));
      streams.push(followStream(user.authorization, slug));
    }
    const runs = await waitForRunsToEnd(system, ids, 60_000);
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    for (const text of await Promise.all(streams)) expectLiveStreamOfSuccess(text);
    await expectMonitorReadsTheCluster(started);

    // Every key the system wrote, short-lived ones included, is under the prefix: all in the one slot of its tag, on one master.
    const seen = await keys.stop();
    const holder = await cluster.masterOf(PREFIX);
    expect([...seen.keys()].some((k) => k.startsWith(`${PREFIX}:rate-limit:`))).toBe(true);
    expect([...seen.keys()].filter((k) => !k.startsWith(`${PREFIX}:`))).toEqual([]);
    expect([...seen].filter(([, port]) => port !== holder)).toEqual([]);
    expect(system.allLines().filter((l) => /CROSSSLOT/.test(l))).toEqual([]);
  });

  it('fails over the master of the queues\' slot mid-sync: every accepted run succeeds, services keep running, new syncs work', async () => {
    const users = [await userWithEveryPlatform(), await userWithEveryPlatform()];
    const accepted: string[] = [];
    const streams: Promise<string>[] = [];
    for (const user of users) {
      for (const { slug } of builtinPlatforms) {
        accepted.push(await requestSync(system, user.authorization, slug));
        streams.push(followStream(user.authorization, slug));
      }
    }
    // Mid-sync: runs are running and have reported progress (the failover must not land before or after them).
    await waitFor(
      'syncs in flight',
      async () => {
        const rows = await system.db.selectFrom('sync_logs').select(['status', 'progress']).where('id', 'in', accepted).execute();
        return rows.filter((r) => r.status === 'running' && r.progress > 0).length >= builtinPlatforms.length;
      },
      30_000,
      100,
    );
    const openRuns = async () =>
      (await system.db.selectFrom('sync_logs').select('id').where('id', 'in', accepted).where('status', 'in', ['queued', 'running']).execute()).length;
    const holder = await cluster.masterOf(PREFIX);
    // /ready asks the master of the prefix's slot: it must say 503 while the slot has none, and 200 after.
    const readiness: number[] = [];
    let failingOver = true;
    const probing = (async () => {
      while (failingOver) {
        readiness.push((await fetch(`${system.apiUrl}/ready`).catch(() => undefined))?.status ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const failover: ClusterFailover = await cluster.failover(PREFIX).finally(() => (failingOver = false));
    await probing;
    expect(readiness).toContain(503);
    const failedOverAt = new Date();
    expect(failover.killedPort).toBe(holder);
    expect(failover.promotedPort).not.toBe(holder);
    // Runs were open through the whole failover (killed → replica voted in), or it proved nothing.
    const openAfterFailover = await openRuns();
    expect(openAfterFailover).toBeGreaterThan(0);

    const runs = await waitForRunsToEnd(system, accepted, 60_000);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // Workers ride the failover out (their commands wait for the promoted replica): it costs no run a retry.
    expect(runs.filter((r) => r.attempts !== 1)).toEqual([]);
    expectEveryProcessRunning();
    await system.waitReady(30_000);

    // Streams open across the failover learned each run's end: live, or (an event published while the
    // subscriber moved to another node is gone: pub/sub keeps nothing) by `reconnect`, after which
    // the stream shows the ended run at once.
    const texts = await Promise.all(streams);
    for (const [i, text] of texts.entries()) {
      const frames = framesOf(text);
      const last = frames.at(-1)?.event;
      expect(['end', 'reconnect'], text).toContain(last);
      if (last === 'end') expect(frames.at(-2)?.data.status, text).toBe('succeeded');
      else {
        const user = users[Math.floor(i / builtinPlatforms.length)]!;
        const again = framesOf(await followStream(user.authorization, builtinPlatforms[i % builtinPlatforms.length]!.slug, 5_000));
        expect(again.map((f) => f.event)).toEqual(['status', 'end']);
        expect(again[0]!.data.status).toBe('succeeded');
      }
    }

    // The system after the failover: new syncs of every platform, streamed live, and the monitor on the new master.
    const after = await userWithEveryPlatform();
    const fresh: string[] = [];
    const freshStreams: Promise<string>[] = [];
    for (const { slug } of builtinPlatforms) {
      fresh.push(await requestSync(system, after.authorization, slug));
      freshStreams.push(followStream(after.authorization, slug));
    }
    const freshRuns = await waitForRunsToEnd(system, fresh, 60_000);
    expect(freshRuns.map((r) => r.status)).toEqual(fresh.map(() => 'succeeded'));
    for (const text of await Promise.all(freshStreams)) expectLiveStreamOfSuccess(text);
    await expectMonitorReadsTheCluster(failedOverAt);
    expect(await cluster.masterOf(PREFIX)).toBe(failover.promotedPort);
    expectEveryProcessRunning();
  });
});
