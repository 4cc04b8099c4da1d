import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { Queue, Worker } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedisCluster, type OwnRedisCluster } from '@ach/testing';
import { deletePrefixedKeys } from '../src/delete-prefixed-keys.ts';
import { pingRedis } from '../src/ping-redis.ts';
import { createRedisConnection, type RedisClient } from '../src/redis-connection.ts';
import { publishSyncEvent, subscribeSyncEvents, type SyncEvent } from '../src/sync-events.ts';

const opened: RedisClient[] = [];
const open = (...args: Parameters<typeof createRedisConnection>) => {
  const client = createRedisConnection(...args);
  opened.push(client);
  return client;
};

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cliOutput = (port: number, ...args: string[]) =>
  new Promise<string>((resolve) => execFile('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }, (error, stdout) => resolve(error ? '' : stdout)));

function event(userId: string, progress: number): SyncEvent {
  return { syncId: randomUUID(), userId, platform: 'psn', status: 'running', progress, at: new Date().toISOString() };
}

afterAll(() => {
  for (const client of opened) client.disconnect();
});

describe('createRedisConnection on a Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  beforeAll(async () => {
    cluster = await startOwnRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('opens a Cluster for both cluster forms of REDIS_URL and a plain connection for one host', async () => {
    const listed = open(cluster.url, 'worker');
    const seeded = open(cluster.seedUrl, 'worker');
    expect(listed).toBeInstanceOf(Cluster);
    expect(seeded).toBeInstanceOf(Cluster);
    await listed.set('{conn}:k', 'v');
    expect(await seeded.get('{conn}:k')).toBe('v');
    // Every master is found from one seed.
    await waitFor(() => (seeded as Cluster).nodes('master').length === 3, 5_000, 'the slot map');
    const single = open('redis://127.0.0.1:1', 'producer', { lazyConnect: true });
    expect(single).toBeInstanceOf(Redis);
  });

  it('keeps the role semantics on every node: a producer fails fast, a worker has no retry cap (BullMQ)', () => {
    const producer = open(cluster.url, 'producer', { commandTimeout: 1_500, connectionName: 'api' }) as Cluster;
    const worker = open(cluster.url, 'worker') as Cluster;
    expect(producer.options.enableOfflineQueue).toBe(false);
    expect(producer.options.redisOptions).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_500, connectionName: 'api' });
    expect(worker.options.enableOfflineQueue).toBe(true);
    expect(worker.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null });
  });

  it('runs BullMQ queues under a hash-tagged prefix; without the tag their multi-key scripts are refused (CROSSSLOT)', async () => {
    const connection = open(cluster.url, 'worker');
    const queue = new Queue('sync-psn', { connection, prefix: '{qtest}' });
    const done: string[] = [];
    const worker = new Worker('sync-psn', async (job) => void done.push(job.id!), { connection, prefix: '{qtest}' });
    try {
      await queue.add('sync', { n: 1 }, { jobId: 'job-1' });
      await waitFor(() => done.includes('job-1'), 15_000, 'the job to run');
      const untagged = new Queue('sync-psn', { connection, prefix: 'qtest' });
      await expect(untagged.add('sync', { n: 1 })).rejects.toThrow(/CROSSSLOT|same slot/i);
      await untagged.close();
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('deletePrefixedKeys scans every master: keys of all slots under the prefix go, others stay', async () => {
    const redis = open(cluster.url, 'worker') as Cluster;
    const keys = Array.from({ length: 300 }, (_, i) => `del-test:k${i}`);
    for (const key of keys) await redis.set(key, '1');
    await redis.set('keep-test:k', '1');
    const holders = new Set(await Promise.all(keys.slice(0, 20).map((k) => cluster.masterOf(k))));
    expect(holders.size).toBe(3);
    expect(await deletePrefixedKeys(redis, 'del-test:')).toBe(300);
    expect(await Promise.all(keys.slice(0, 20).map((k) => redis.exists(k)))).toEqual(keys.slice(0, 20).map(() => 0));
    expect(await redis.get('keep-test:k')).toBe('1');
  });

  it("a worker's command rides out the failover of its slot's master; a producer's fails fast meanwhile", async () => {
    const worker = open(cluster.url, 'worker');
    const producer = open(cluster.url, 'producer', { commandTimeout: 1_500 });
    await worker.set('{ride}:n', '0');
    // A producer refuses commands until it has the slot map (no offline queue).
    await waitFor(() => producer.status === 'ready', 5_000, 'the producer to be ready');
    await producer.get('{ride}:n');
    const master = await cluster.masterOf('{ride}');
    const failover = cluster.kill(master);
    await waitFor(() => !cluster.nodes.find((n) => n.port === master)!.alive, 5_000, 'the master to die');
    // Both issued at once: the slot has no reachable master for the whole failover (cluster-node-timeout 2 s + the vote).
    const workerIncr = worker.incr('{ride}:n');
    const started = Date.now();
    const producerOutcome = await producer.incr('{ride}:n').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const producerTookMs = Date.now() - started;
    const { promotedPort, tookMs } = await failover;
    expect(promotedPort).toBeDefined();
    expect(tookMs).toBeGreaterThan(2_000);
    expect(await workerIncr).toBe(1);
    // Fail fast: an error within a few seconds (ioredis's ~16 quick retries), not a wait for the failover.
    expect(producerOutcome).not.toBe('answered');
    expect(producerTookMs).toBeLessThan(tookMs);
    expect(await producer.incr('{ride}:n')).toBe(2);
  });

  // Last in this cluster: it leaves a slot range without a master for good.
  it("the readiness ping asks the master of the prefix's slot: it refuses once that slot has no master", async () => {
    const producer = open(cluster.url, 'producer', { commandTimeout: 1_500 });
    await waitFor(() => producer.status === 'ready', 5_000, 'the producer to be ready');
    await expect(pingRedis(producer, '{ride}')).resolves.toBeUndefined();
    // The master and then its promoted replica (none left after the failover above): the slot stays unserved.
    let killed = await cluster.kill(await cluster.masterOf('{ride}'));
    if (killed.promotedPort !== undefined) killed = await cluster.kill(killed.promotedPort);
    expect(killed.promotedPort).toBeUndefined();
    await expect(pingRedis(producer, '{ride}')).rejects.toThrow();
  });
});

describe('sync events on a Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  beforeAll(async () => {
    cluster = await startOwnRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reach a subscriber through the cluster, and keep reaching it after the node it listened on is killed', async () => {
    const subscriber = open(cluster.url, 'subscriber');
    const publisher = open(cluster.url, 'worker');
    const userId = randomUUID();
    const received: number[] = [];
    await subscribeSyncEvents(subscriber, '{ach}', userId, (e) => received.push(e.progress));
    await publishSyncEvent(publisher, '{ach}', event(userId, 1));
    await waitFor(() => received.includes(1), 5_000, 'the first event');

    // The one node holding the subscriber connection (ioredis names it) — a master or a replica.
    let listening: number | undefined;
    for (const node of cluster.nodes) if ((await cliOutput(node.port, 'client', 'list')).includes('ioredis-cluster(subscriber)')) listening = node.port;
    expect(listening).toBeDefined();
    await cluster.kill(listening!);

    await waitFor(
      async () => {
        await publishSyncEvent(publisher, '{ach}', event(userId, 2)).catch(() => undefined);
        return received.includes(2);
      },
      20_000,
      'an event after the subscriber node died',
    );
  });
});
