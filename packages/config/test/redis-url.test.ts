import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseEnv, redisEnv } from '../src/index.ts';
import { parseRedisUrl, redisHashTag, requireHashTaggedPrefixOnCluster } from '../src/redis-url.ts';

describe('REDIS_URL forms', () => {
  it('one host is a single server, handed to ioredis unchanged (options, db and TLS included)', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis://localhost', 'rediss://:secret@cache.example.com:6380/2', 'redis://u:p@[::1]:7000?family=6']) {
      expect(parseRedisUrl(url)).toEqual({ mode: 'single', url });
    }
  });

  it('several comma-separated nodes are a cluster, each node with its port (6379 when left out)', () => {
    expect(parseRedisUrl('redis://10.0.0.1:7000,10.0.0.2:7001,redis-c')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-c', port: 6379 },
      ],
      tls: false,
    });
  });

  it('one seed with ?cluster=true is a cluster too (a managed service\'s configuration endpoint)', () => {
    expect(parseRedisUrl('rediss://clustercfg.example.cache.amazonaws.com:6379?cluster=true')).toEqual({
      mode: 'cluster',
      nodes: [{ host: 'clustercfg.example.cache.amazonaws.com', port: 6379 }],
      tls: true,
    });
  });

  it('a cluster URL\'s credentials (percent-decoded) and TLS apply to every node; IPv6 nodes in brackets', () => {
    expect(parseRedisUrl('rediss://app:p%40ss%2Fword@[::1]:7000,[fd00::2]:7001/0')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '::1', port: 7000 },
        { host: 'fd00::2', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss/word',
      tls: true,
    });
    expect(parseRedisUrl('redis://:only-a-password@h1:1,h2:2')).toMatchObject({ password: 'only-a-password' });
    expect(parseRedisUrl('redis://:only-a-password@h1:1,h2:2')).not.toHaveProperty('username');
  });

  it.each([
    ['http://h1:7000,h2:7001', 'redis:// or rediss://'],
    ['redis://', 'host'],
    ['redis://h1:7000,,h2:7001', 'not host[:port]'],
    ['redis://h1:7000,h2:99999', 'no valid port'],
    ['redis://h1:7000,h2:7001/3', 'database 0 only'],
    ['redis://h1:7000?cluster=yes', 'cluster= must be true'],
    ['redis://h1:7000,h2:7001?cluster=false', 'cluster= must be true'],
    ['redis://h1:7000,h2:7001?family=6', 'no options besides cluster=true'],
  ])('refuses %s (%s)', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never repeats the password in its error', () => {
    expect(() => parseRedisUrl('redis://app:hunter2-secret@h1:7000,h2:7001/5')).toThrow(/^(?!.*hunter2)/s);
  });
});

describe('hash tags', () => {
  it('follow Redis Cluster\'s rule: the first {…} with something inside, else none', () => {
    expect(redisHashTag('{ach}')).toBe('ach');
    expect(redisHashTag('{ach}:sync-psn:wait')).toBe('ach');
    expect(redisHashTag('prod{ach}x')).toBe('ach');
    expect(redisHashTag('ach')).toBeUndefined();
    expect(redisHashTag('{}ach')).toBeUndefined();
    // The first "{" decides: an empty tag there hashes the whole key, later braces do not count.
    expect(redisHashTag('{}{ach}')).toBeUndefined();
    expect(redisHashTag('ach}{')).toBeUndefined();
  });
});

describe('the environment', () => {
  const schema = redisEnv.superRefine(requireHashTaggedPrefixOnCluster);

  it('accepts a cluster REDIS_URL with a hash-tagged QUEUE_PREFIX, and keeps REDIS_URL as given', () => {
    const env = parseEnv(schema, { REDIS_URL: 'redis://h1:7000,h2:7001', QUEUE_PREFIX: '{ach}' });
    expect(env).toEqual({ REDIS_URL: 'redis://h1:7000,h2:7001', QUEUE_PREFIX: '{ach}' });
  });

  it('refuses a cluster without a hash tag in QUEUE_PREFIX, naming the fix', () => {
    expect(() => parseEnv(schema, { REDIS_URL: 'redis://h1:7000?cluster=true', QUEUE_PREFIX: 'ach' })).toThrow(
      'QUEUE_PREFIX: must contain a hash tag such as {ach} when REDIS_URL is a Redis Cluster',
    );
    expect(() => parseEnv(schema, { REDIS_URL: 'redis://h1:7000,h2:7001' })).toThrow('QUEUE_PREFIX');
  });

  it('a single server needs no hash tag (the default prefix stays ach)', () => {
    expect(parseEnv(schema, {})).toEqual({ REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_PREFIX: 'ach' });
  });

  it('names REDIS_URL when its form is wrong', () => {
    expect(() => parseEnv(redisEnv, { REDIS_URL: 'redis://h1:7000,h2:7001/2' })).toThrow('REDIS_URL: a Redis Cluster has database 0 only');
    expect(() => parseEnv(redisEnv, { REDIS_URL: 'memcached://h1' })).toThrow('REDIS_URL: must be a redis:// URL');
  });

  it('is what the processes refine with: a zod object stays extendable before the refinement', () => {
    expect(redisEnv).toBeInstanceOf(z.ZodObject);
    expect(Object.keys(redisEnv.extend({ OTHER: z.string().optional() }).shape)).toEqual(['REDIS_URL', 'QUEUE_PREFIX', 'OTHER']);
  });
});
