import { z } from 'zod';

/** One address of a Redis node (a cluster seed, or the single server). */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/**
 * Where REDIS_URL points:
 * - `single`: one server (or a proxy/Sentinel-less primary) — the URL is handed to ioredis as it is;
 * - `cluster`: a Redis Cluster, reached through one or more seed nodes (ioredis discovers the rest
 *   with CLUSTER SLOTS); the URL's credentials and TLS apply to every node.
 */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; nodes: RedisNodeAddress[]; username?: string; password?: string; tls: boolean };

const DEFAULT_PORT = 6379;

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
function parseNode(text: string): RedisNodeAddress | string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return `"${text}" is not host[:port]`;
  const port = match[2] === undefined ? DEFAULT_PORT : Number(match[2]);
  if (port < 1 || port > 65_535) return `"${text}" has no valid port`;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * REDIS_URL, parsed. Forms:
 * - `redis://[user:password@]host[:port][/db][?…]` (or `rediss://` for TLS): one server, as before;
 * - `redis://[user:password@]host1:port1,host2:port2,…[/]`: several comma-separated nodes = a cluster;
 * - `redis://[user:password@]host:port?cluster=true`: one seed of a cluster, e.g. a managed
 *   service's configuration endpoint.
 * A cluster has only database 0, and takes no other query parameter (its options are the product's).
 * Not `new URL()`: a WHATWG URL has one host, and the comma list is the point.
 */
export const redisUrlSchema = z.string().transform((value, ctx): RedisTarget => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  const scheme = /^(rediss?):\/\//.exec(value);
  if (!scheme) return fail('must be a redis:// or rediss:// URL');
  const rest = value.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  const at = authority.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : authority.slice(0, at);
  const hosts = (at < 0 ? authority : authority.slice(at + 1)).split(',');
  const query = /^(?<path>\/[^?#]*)?(?:\?(?<search>[^#]*))?$/.exec(tail);
  if (!query) return fail('must be redis[s]://[user:password@]host[:port][,host:port…][/db][?cluster=true]');
  const params = new URLSearchParams(query.groups?.search ?? '');
  const clusterParam = params.get('cluster');
  if (clusterParam !== null && clusterParam !== 'true') return fail('cluster= must be true (leave it out for a single server)');
  if (hosts.length === 1 && clusterParam === null) {
    const node = parseNode(hosts[0]!);
    if (typeof node === 'string') return fail(`must be a redis:// URL with a host: ${node}`);
    return { mode: 'single', url: value };
  }

  const nodes: RedisNodeAddress[] = [];
  for (const text of hosts) {
    const node = parseNode(text);
    if (typeof node === 'string') return fail(`cluster node ${node}`);
    nodes.push(node);
  }
  const db = (query.groups?.path ?? '').replace(/^\//, '');
  if (db !== '' && db !== '0') return fail('a Redis Cluster has database 0 only: drop the /db path');
  const unknown = [...params.keys()].filter((name) => name !== 'cluster');
  if (unknown.length > 0) return fail(`a cluster URL takes no options besides cluster=true (got ${unknown.join(', ')})`);
  let username: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
    username = user === '' ? undefined : user;
    password = colon < 0 ? undefined : decodeURIComponent(userInfo.slice(colon + 1));
  }
  return {
    mode: 'cluster',
    nodes,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    tls: scheme[1] === 'rediss',
  };
});

/** REDIS_URL → where it points; throws naming the problem (never the password) when it is malformed. */
export function parseRedisUrl(value: string): RedisTarget {
  const result = redisUrlSchema.safeParse(value);
  if (!result.success) throw new Error(`invalid Redis URL: ${result.error.issues.map((i) => i.message).join('; ')}`);
  return result.data;
}

/**
 * What Redis Cluster hashes a key by: the text between the first `{` and the first `}` after it when
 * that is not empty, else the whole key. A prefix with a tag hashes every key built on it alike.
 */
export function redisHashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * On a cluster, every key the product builds — BullMQ's keys of each queue, rate-limit logs,
 * checkpoints, stream slots — starts with QUEUE_PREFIX, and multi-key Lua scripts and MULTI need
 * all their keys in one slot: a prefix with a hash tag (`{ach}`) puts them there. Without one, the
 * first multi-key script would fail with CROSSSLOT at run time; this refuses to start instead.
 * For the `superRefine` of each process's env schema (a refined zod object cannot be extended).
 */
export function requireHashTaggedPrefixOnCluster(env: { REDIS_URL: string; QUEUE_PREFIX: string }, ctx: Pick<z.RefinementCtx, 'addIssue'>): void {
  const target = redisUrlSchema.safeParse(env.REDIS_URL);
  if (!target.success || target.data.mode !== 'cluster' || redisHashTag(env.QUEUE_PREFIX) !== undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['QUEUE_PREFIX'],
    message: `must contain a hash tag such as {${env.QUEUE_PREFIX}} when REDIS_URL is a Redis Cluster: every key of every queue must share one slot`,
  });
}
