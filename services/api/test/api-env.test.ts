import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '@ach/config';
import { apiEnv, apiOptionsFrom } from '../src/api-env.ts';

const server = join(import.meta.dirname, '../src/server.ts');
const base = () => ({ CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), SUPABASE_JWT_SECRET: 'j'.repeat(32) });

/** Starts the real entry point; a bad environment must stop it before it connects to anything. */
function runServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [server], {
      // Unreachable Redis/Postgres: a process that got past env parsing would hang here, not exit 78.
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not stop on a bad environment: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('api environment: weak secrets stop the process', () => {
  it.each([
    ['SUPABASE_JWT_SECRET', 31],
    ['AUTH_WEBHOOK_SECRET', 31],
    ['BULL_BOARD_PASSWORD', 15],
  ])('%s of %i characters: exit 78 naming the variable', async (variable, length) => {
    const run = await runServer({ ...base(), BULL_BOARD_USER: 'admin', [variable]: 'x'.repeat(length) });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain(variable);
    expect(run.stderr).not.toContain('x'.repeat(length)); // the message names the variable, never echoes the value
  });

  it.each([
    ['SUPABASE_JWT_SECRET', 32],
    ['AUTH_WEBHOOK_SECRET', 32],
    ['BULL_BOARD_PASSWORD', 16],
  ])('%s of %i characters is accepted', (variable, length) => {
    expect(() => parseEnv(apiEnv, { ...base(), [variable]: 'x'.repeat(length) })).not.toThrow();
  });
});

describe('api environment: SUPABASE_JWKS_URL', () => {
  const parseJwks = (url: string) => parseEnv(apiEnv, { CREDENTIALS_ENCRYPTION_KEY: base().CREDENTIALS_ENCRYPTION_KEY, SUPABASE_JWKS_URL: url });

  it.each(['http://example.com/auth/v1/.well-known/jwks.json', 'http://10.0.0.5:8000/jwks', 'http://127.0.0.1.evil.test/jwks', 'ftp://example.com/jwks'])(
    'refuses %s',
    (url) => {
      const error = (() => {
        try {
          parseJwks(url);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variables).toEqual(['SUPABASE_JWKS_URL']);
    },
  );

  it.each([
    'https://project.supabase.co/auth/v1/.well-known/jwks.json',
    'http://127.0.0.1:54321/auth/v1/.well-known/jwks.json',
    'http://localhost:54321/jwks',
    'http://[::1]:54321/jwks',
  ])('accepts %s', (url) => {
    expect(parseJwks(url).SUPABASE_JWKS_URL).toBe(url);
  });

  it('an http JWKS URL on a public host stops the server with exit 78', async () => {
    const run = await runServer({ CREDENTIALS_ENCRYPTION_KEY: base().CREDENTIALS_ENCRYPTION_KEY, SUPABASE_JWKS_URL: 'http://example.com/jwks' });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('SUPABASE_JWKS_URL');
  });
});

describe('api environment: per-user rate limits and stream caps', () => {
  it('defaults: 30 syncs, 10 links, 60 client syncs, 30 stream opens a minute; 5 streams of 15 min', () => {
    expect(apiOptionsFrom(parseEnv(apiEnv, base()))).toEqual({
      rateLimit: { syncMax: 30, linkMax: 10, clientSyncMax: 60, streamMax: 30, timeWindowMs: 60_000 },
      sseMaxStreamsPerUser: 5,
      sseMaxStreamLifetimeMs: 900_000,
    });
  });

  it('each limit comes from its variable', () => {
    const env = parseEnv(apiEnv, {
      ...base(),
      SYNC_RATE_LIMIT_PER_MINUTE: '3',
      LINK_RATE_LIMIT_PER_MINUTE: '4',
      CLIENT_SYNC_RATE_LIMIT_PER_MINUTE: '5',
      SSE_RATE_LIMIT_PER_MINUTE: '6',
      SSE_MAX_STREAMS_PER_USER: '7',
      SSE_MAX_STREAM_LIFETIME_MS: '8000',
    });
    expect(apiOptionsFrom(env)).toEqual({
      rateLimit: { syncMax: 3, linkMax: 4, clientSyncMax: 5, streamMax: 6, timeWindowMs: 60_000 },
      sseMaxStreamsPerUser: 7,
      sseMaxStreamLifetimeMs: 8000,
    });
  });

  it.each(['SYNC_RATE_LIMIT_PER_MINUTE', 'LINK_RATE_LIMIT_PER_MINUTE', 'CLIENT_SYNC_RATE_LIMIT_PER_MINUTE', 'SSE_RATE_LIMIT_PER_MINUTE'])(
    '%s of 0, negative or not a number is refused naming the variable',
    (variable) => {
      for (const value of ['0', '-1', 'many', '1.5']) {
        let error: unknown;
        try {
          parseEnv(apiEnv, { ...base(), [variable]: value });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).variables).toEqual([variable]);
      }
    },
  );

  it('a bad limit stops the server with exit 78', async () => {
    const run = await runServer({ ...base(), SYNC_RATE_LIMIT_PER_MINUTE: '0' });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('SYNC_RATE_LIMIT_PER_MINUTE');
  });
});

describe('api environment: Redis Cluster', () => {
  it('a cluster REDIS_URL with a QUEUE_PREFIX without a hash tag stops the server with exit 78, naming the fix', async () => {
    const run = await runServer({ ...base(), REDIS_URL: 'redis://127.0.0.1:1,127.0.0.1:2', QUEUE_PREFIX: 'ach' });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('QUEUE_PREFIX: must contain a hash tag such as {ach} when REDIS_URL is a Redis Cluster');
  });

  it('accepts both cluster forms with a hash-tagged prefix', () => {
    for (const REDIS_URL of ['redis://10.0.0.1:7000,10.0.0.2:7001', 'rediss://clustercfg.example.com:6379?cluster=true']) {
      expect(parseEnv(apiEnv, { ...base(), REDIS_URL, QUEUE_PREFIX: '{ach}' })).toMatchObject({ REDIS_URL, QUEUE_PREFIX: '{ach}' });
    }
  });
});
