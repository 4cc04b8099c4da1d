import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedisCluster, type OwnRedisCluster } from '../src/own-servers.ts';

let cluster: OwnRedisCluster;
let client: Cluster;
beforeAll(async () => {
  cluster = await startOwnRedisCluster();
  client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], { redisOptions: { maxRetriesPerRequest: null } });
  client.on('error', () => {});
});
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

describe('a private Redis Cluster for failover tests', () => {
  it('is 3 masters with a replica each, every slot served, and names itself in both REDIS_URL forms', async () => {
    const roles = await Promise.all(cluster.nodes.map((n) => cluster.roleOf(n.port)));
    expect(roles.filter((r) => r === 'master')).toHaveLength(3);
    expect(roles.filter((r) => r === 'replica')).toHaveLength(3);
    expect(cluster.url).toBe(`redis://${cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`);
    expect(cluster.seedUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\?cluster=true$/);
    const info = String(await client.call('CLUSTER', 'INFO'));
    expect(info).toContain('cluster_state:ok');
    expect(info).toContain('cluster_slots_assigned:16384');
    // Keys of different slots land on different masters.
    const masters = new Set(await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => cluster.masterOf(k))));
    expect(masters.size).toBeGreaterThan(1);
  });

  it("fails over when the master of a key's slot is SIGKILLed: its replica is promoted, with the data", async () => {
    const master = await cluster.masterOf('{ach}');
    // Written on the slot's master and acknowledged by its replica, so the failover cannot lose it
    // (replication is asynchronous). WAIT counts the writes of its own connection, and through the
    // cluster client a keyless WAIT goes to any node: both go over one connection to that master.
    const direct = new Redis({ host: '127.0.0.1', port: master, maxRetriesPerRequest: 1 });
    try {
      await direct.set('{ach}:before', 'kept');
      expect(Number(await direct.call('WAIT', '1', '2000'))).toBe(1);
    } finally {
      direct.disconnect();
    }
    const failover = await cluster.failover('{ach}');
    expect(failover.killedPort).toBe(master);
    expect(failover.promotedPort).toBeDefined();
    expect(failover.promotedPort).not.toBe(master);
    expect(cluster.nodes.find((n) => n.port === master)!.alive).toBe(false);
    expect(await cluster.masterOf('{ach}')).toBe(failover.promotedPort);
    expect(await cluster.roleOf(failover.promotedPort!)).toBe('master');
    // Read on the promoted node itself: the data came over with it. (Through the test's client the
    // dead master's port could meanwhile belong to another test's redis-server.)
    expect(execFileSync('redis-cli', ['-p', String(failover.promotedPort), 'get', '{ach}:before'], { encoding: 'utf8' }).trim()).toBe('kept');
    const fresh = new Cluster([{ host: '127.0.0.1', port: failover.promotedPort! }], { redisOptions: { maxRetriesPerRequest: null } });
    fresh.on('error', () => {});
    try {
      await fresh.set('{ach}:after', 'written');
      expect(await fresh.get('{ach}:after')).toBe('written');
      expect(await fresh.get('{ach}:before')).toBe('kept');
    } finally {
      fresh.disconnect();
    }
  });

  it('stop() kills every node and removes their directories', async () => {
    const other = await startOwnRedisCluster();
    const port = other.nodes[0]!.port;
    const dir = execFileSync('redis-cli', ['-p', String(port), 'config', 'get', 'dir'], { encoding: 'utf8' }).split('\n')[1]!;
    expect(existsSync(dir)).toBe(true);
    await other.stop();
    expect(existsSync(dir)).toBe(false);
    expect(other.nodes.every((n) => !n.alive)).toBe(true);
    expect(spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim()).not.toBe('PONG');
  });
});
