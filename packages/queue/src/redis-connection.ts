import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from '@ach/config';

/**
 * A connection to one Redis server or to a Redis Cluster: the same commands, and BullMQ takes both.
 * Which one is REDIS_URL's business (see @ach/config's redis-url.ts).
 */
export type RedisClient = Redis | Cluster;

export type RedisRole = 'producer' | 'worker' | 'subscriber';

/**
 * Producers (the API) must fail fast when Redis is away — a request may not wait on a reconnect —
 * so their commands are not queued offline and give up after one try. Workers block on Redis by
 * design and need `maxRetriesPerRequest: null` (a BullMQ requirement).
 *
 * On a cluster the same role options go to every node (`redisOptions`, where BullMQ also looks for
 * maxRetriesPerRequest). Node connections never reconnect by themselves (ioredis refreshes the slot
 * map and follows MOVED instead); what differs per role is how long a command keeps retrying while a
 * slot has no reachable master: a producer gives up after ioredis's default ~16 × 100 ms, a worker or
 * subscriber rides out a failover (cluster-node-timeout + election, ~20 s with Redis's defaults) by
 * retrying for up to ~40 s.
 */
export function createRedisConnection(url: string, role: RedisRole, extra: RedisOptions = {}): RedisClient {
  const roleOptions: RedisOptions =
    role === 'producer' ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 } : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  // A SUBSCRIBE written just after the socket opens puts the connection in subscriber mode before
  // ioredis's ready check (INFO) runs; the check is then refused and takes the queued SUBSCRIBEs down
  // with it (the first SSE stream of a fresh API answered 503). A subscriber needs no ready check.
  if (role === 'subscriber') roleOptions.enableReadyCheck = false;
  const base: RedisOptions = {
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...roleOptions,
    ...extra,
  };
  const target = parseRedisUrl(url);
  const redis: RedisClient = target.mode === 'single' ? new Redis(url, base) : new Cluster(target.nodes, clusterOptions(target, role, base));
  // Reconnects are handled by ioredis; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
}

function clusterOptions(
  target: Extract<ReturnType<typeof parseRedisUrl>, { mode: 'cluster' }>,
  role: RedisRole,
  base: RedisOptions,
): ClusterOptions {
  const { retryStrategy: _nodesNeverReconnect, ...nodeOptions } = base;
  return {
    redisOptions: {
      ...nodeOptions,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
    // TLS certificates name the host: connect by name, not by the address a lookup returns.
    ...(target.tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
    // Before the first slot map (and when every node is gone) a producer's command fails at once.
    enableOfflineQueue: role !== 'producer',
    clusterRetryStrategy: (times) => Math.min(100 + times * 100, 2_000),
    slotsRefreshTimeout: 2_000,
    ...(role === 'producer' ? {} : { retryDelayOnFailover: 250, retryDelayOnClusterDown: 250, maxRedirections: 160 }),
  };
}
