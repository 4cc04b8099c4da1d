/**
 * POST /sync/:platform on the real API process (JWT verify, rate limit, one INSERT … RETURNING that
 * also checks the linked account, queue.add) against a bare Fastify route that only calls
 * queue.add — same machine, same Redis, same run. Every request is a different pre-linked user,
 * so deduplication never turns a request into a no-op.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { createBenchDatabase } from '../bench-database.ts';
import type { BenchContext, BenchResult, BenchScenario } from '../bench-result.ts';

/** The slice of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p97_5: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
}
interface AutocannonRequest {
  headers?: Record<string, string>;
  [key: string]: unknown;
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'bench-jwt-secret-bench-jwt-secret-123456';
const CONNECTIONS = 50;

const BARE_SERVER = `
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { createRedisConnection, createSyncQueues } from '@ach/queue';
const redis = createRedisConnection(process.env.REDIS_URL, 'producer');
const queues = createSyncQueues({ connection: redis, prefix: process.env.QUEUE_PREFIX });
const app = Fastify();
app.post('/bare/:platform', async (_req, reply) => {
  const syncId = randomUUID();
  await queues.steam.add('sync', { syncId, userId: randomUUID(), platform: 'steam', mode: 'incremental' }, { jobId: syncId });
  return reply.code(202).send({ syncId, status: 'queued', deduplicated: false });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

function startProcess(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, { method: url.includes('/bare/') ? 'POST' : 'GET' });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${url}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function fire(options: { url: string; amount: number; tokens?: string[] }): Promise<AutocannonResult> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections: CONNECTIONS,
        amount: options.amount,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"mode":"incremental"}',
        requests: [
          {
            setupRequest: (request: AutocannonRequest) => {
              if (!options.tokens) return request;
              const token = options.tokens[next++ % options.tokens.length];
              return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

const scenario: BenchScenario = {
  name: 'api-sync-throughput',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const users = Math.max(1_000, Math.round(20_000 * ctx.scale));
    const database = await createBenchDatabase(ctx.postgresAdminUrl);
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const children: ChildProcess[] = [];
    try {
      await sql`
        insert into auth.users (id, email)
        select gen_random_uuid(), 'bench' || i || '@example.test' from generate_series(1, ${users}::int) i`.execute(database.db);
      await sql`
        insert into public.users (id, email, username)
        select id, email, 'b_' || substr(replace(id::text, '-', ''), 1, 26) from auth.users on conflict (id) do nothing`.execute(database.db);
      await sql`
        insert into platform_accounts (user_id, platform_id, external_account_id, display_name)
        select id, 3, '7656119' || lpad((row_number() over ())::text, 10, '0'), 'bench' from public.users`.execute(database.db);
      const ids = (await sql<{ id: string }>`select id from public.users`.execute(database.db)).rows.map((r) => r.id);
      const key = new TextEncoder().encode(SECRET);
      const tokens = await Promise.all(
        ids.map((id) =>
          new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setSubject(id).setAudience('authenticated').setExpirationTime('2h').sign(key),
        ),
      );

      const apiPort = await freePort();
      const barePort = await freePort();
      const env = { REDIS_URL: ctx.redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
      const api = startProcess(['services/api/src/server.ts'], {
        ...env,
        DATABASE_URL: database.url,
        PORT: String(apiPort),
        HOST: '127.0.0.1',
        SUPABASE_JWT_SECRET: SECRET,
        CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      });
      children.push(api);
      const bare = startProcess(['--input-type=module', '-e', BARE_SERVER], { ...env, QUEUE_PREFIX: `${prefix}-bare`, PORT: String(barePort) });
      children.push(bare);
      await waitForHealth(`http://127.0.0.1:${apiPort}/health`, api);
      await waitForHealth(`http://127.0.0.1:${barePort}/bare/steam`, bare);

      // Warm-up on both (JIT, pools), on users the measured run does not use.
      const warm = Math.min(1_000, Math.floor(users / 10));
      await fire({ url: `http://127.0.0.1:${barePort}/bare/steam`, amount: warm });
      await fire({ url: `http://127.0.0.1:${apiPort}/sync/steam`, amount: warm, tokens: tokens.slice(0, warm) });

      const measured = tokens.slice(warm);
      const baseline = await fire({ url: `http://127.0.0.1:${barePort}/bare/steam`, amount: measured.length });
      const result = await fire({ url: `http://127.0.0.1:${apiPort}/sync/steam`, amount: measured.length, tokens: measured });

      const accepted = result['2xx'];
      const rows = (await sql<{ n: number }>`select count(*)::int as n from sync_logs where status = 'queued'`.execute(database.db)).rows[0]!.n;
      const ratio = result.requests.average / baseline.requests.average;
      return [
        {
          scenario: 'api-sync-throughput',
          metric: `POST /sync/steam req/s (c=${CONNECTIONS}, ${measured.length} distinct users)`,
          value: result.requests.average,
          unit: 'req/s',
          baseline: { label: 'bare Fastify route calling queue.add', value: baseline.requests.average },
          target: '≥ 0.5× baseline',
          met: ratio >= 0.5,
          notes: `${accepted} × 2xx, ${result.non2xx} non-2xx, ${result.errors} errors; ${rows} queued runs in sync_logs`,
        },
        {
          scenario: 'api-sync-throughput',
          metric: 'POST /sync/steam p99 latency',
          value: result.latency.p99,
          unit: 'ms',
          baseline: { label: 'bare route p99', value: baseline.latency.p99 },
          target: '< 20 ms',
          met: result.latency.p99 < 20,
          notes: `p50 ${result.latency.p50} ms, p97.5 ${result.latency.p97_5} ms`,
        },
      ];
    } finally {
      for (const child of children) await stop(child).catch(() => {});
      await deleteKeys(ctx.redisUrl, prefix).catch(() => {});
      await database.drop();
    }
  },
};

export default scenario;
