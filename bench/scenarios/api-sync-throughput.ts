/**
 * POST /sync/:platform on the real API process (JWT verify, rate limit, the linked-account check +
 * insert, enqueue) against a bare Fastify route that only calls queue.add — same machine, same
 * Redis, same run. Every request is a different pre-linked user, so deduplication never turns a
 * request into a no-op.
 *
 * The machine is shared and noisy: both servers are warmed up, then measured interleaved
 * (bare, api, bare, api, …) and each side reports its median. req/s is responses over our own
 * wall clock (autocannon's duration and `requests.average` are rounded to its 1 s tick).
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the API process there; BENCH_LOG_LEVEL (default
 * warn) sets both servers' log level.
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
import { deletePrefixedKeys } from '@ach/queue';

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
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: AutocannonResult) => void,
) => { on: (event: 'response', listener: () => void) => void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'bench-jwt-secret-bench-jwt-secret-123456';
const CONNECTIONS = 50;
/** Measured runs per side, interleaved; the median is reported. */
const ROUNDS = 2;

// Same Fastify, same JSON body parsing, same producer connection and logger level as the API;
// only the route's own work differs.
const BARE_SERVER = `
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@ach/observability';
import { createRedisConnection, createSyncQueues } from '@ach/queue';
const redis = createRedisConnection(process.env.REDIS_URL, 'producer', { commandTimeout: 1_500 });
const queues = createSyncQueues({ connection: redis, prefix: process.env.QUEUE_PREFIX });
const app = Fastify({ loggerInstance: createLogger({ name: 'bare', level: process.env.LOG_LEVEL }), genReqId: () => randomUUID() });
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

/** autocannon's result plus our own clock: first request sent → last response received. */
interface FireResult extends AutocannonResult {
  elapsedMs: number;
  responses: number;
}

function fire(options: { url: string; amount: number; tokens?: string[] }): Promise<FireResult> {
  let next = 0;
  let responses = 0;
  let lastResponseAt = 0;
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const instance = autocannon(
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
      (error, result) => (error ? reject(error) : resolve({ ...result, elapsedMs: lastResponseAt - startedAt, responses })),
    );
    instance.on('response', () => {
      responses++;
      lastResponseAt = performance.now();
    });
  });
}

// autocannon reports only on its 1 s tick, so its own duration (and requests.average) is rounded
// up to whole seconds: ±25 % on a 4 s run. Our clock stops at the last response.
const reqPerSecond = (r: FireResult) => r.responses / (r.elapsedMs / 1000);

/** The run whose req/s is the median (lower median for an even count), reported as a whole. */
function medianRun(runs: FireResult[]): FireResult {
  const sorted = [...runs].sort((a, b) => reqPerSecond(a) - reqPerSecond(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
};

/** Jobs the API enqueued (warm-up included): every accepted request must have one. */
async function countJobs(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return await redis.llen(`${prefix}:sync-steam:wait`);
  } finally {
    redis.disconnect();
  }
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
      const env = { REDIS_URL: ctx.redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' };
      const profileDir = process.env.BENCH_CPU_PROF;
      const api = startProcess([...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), 'services/api/src/server.ts'], {
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

      const bareUrl = `http://127.0.0.1:${barePort}/bare/steam`;
      const apiUrl = `http://127.0.0.1:${apiPort}/sync/steam`;
      // Warm-up on both (JIT, pools, Redis scripts), on users the measured runs do not use.
      const warm = Math.min(2_000, Math.floor(users / 10));
      await fire({ url: bareUrl, amount: warm });
      await fire({ url: apiUrl, amount: warm, tokens: tokens.slice(0, warm) });

      // Interleaved so that a burst of load from elsewhere hits both sides alike.
      const perRound = Math.floor((tokens.length - warm) / ROUNDS);
      const bareRuns: FireResult[] = [];
      const apiRuns: FireResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        bareRuns.push(await fire({ url: bareUrl, amount: perRound }));
        apiRuns.push(await fire({ url: apiUrl, amount: perRound, tokens: tokens.slice(warm + round * perRound, warm + (round + 1) * perRound) }));
      }
      const baseline = medianRun(bareRuns);
      const result = medianRun(apiRuns);

      const accepted = apiRuns.reduce((n, r) => n + r['2xx'], 0);
      const non2xx = apiRuns.reduce((n, r) => n + r.non2xx, 0);
      const errors = apiRuns.reduce((n, r) => n + r.errors, 0);
      const rows = (await sql<{ n: number }>`select count(*)::int as n from sync_logs where status = 'queued'`.execute(database.db)).rows[0]!.n;
      const jobs = await countJobs(ctx.redisUrl, prefix);
      const apiRate = median(apiRuns.map(reqPerSecond));
      const bareRate = median(bareRuns.map(reqPerSecond));
      const ratio = apiRate / bareRate;
      const perRun = (runs: FireResult[]) => runs.map((r) => reqPerSecond(r).toFixed(0)).join(', ');
      const p99s = (runs: FireResult[]) => runs.map((r) => r.latency.p99).join(', ');
      const apiP99 = median(apiRuns.map((r) => r.latency.p99));
      return [
        {
          scenario: 'api-sync-throughput',
          metric: `POST /sync/steam req/s (c=${CONNECTIONS}, median of ${ROUNDS} interleaved runs × ${perRound} distinct users)`,
          value: apiRate,
          unit: 'req/s',
          baseline: { label: 'bare Fastify route calling queue.add, median', value: bareRate },
          target: '≥ 0.5× baseline',
          met: ratio >= 0.5,
          notes: `api runs ${perRun(apiRuns)}; bare runs ${perRun(bareRuns)}; ${accepted} × 2xx, ${non2xx} non-2xx, ${errors} errors; ${rows} queued runs in sync_logs, ${jobs} jobs in sync-steam`,
        },
        {
          scenario: 'api-sync-throughput',
          metric: 'POST /sync/steam p99 latency (median of runs)',
          value: apiP99,
          unit: 'ms',
          baseline: { label: 'bare route p99, median', value: median(bareRuns.map((r) => r.latency.p99)) },
          target: '< 20 ms',
          met: apiP99 < 20,
          notes: `api p99 per run ${p99s(apiRuns)}; bare ${p99s(bareRuns)}; median run: p50 ${result.latency.p50} ms, p97.5 ${result.latency.p97_5} ms (bare p50 ${baseline.latency.p50} ms)`,
        },
      ];
    } finally {
      for (const child of children) await stop(child).catch(() => {});
      const cleaner = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
      await deletePrefixedKeys(cleaner, prefix).catch(() => {});
      cleaner.disconnect();
      await database.drop();
    }
  },
};

export default scenario;
