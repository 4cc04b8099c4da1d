/**
 * POST /sync/:platform on the real API process (JWT verify, rate limit, the linked-account check +
 * insert, enqueue) against a bare Fastify route that only calls queue.add — same machine, same
 * Redis, same run. Every request is a different pre-linked user, so deduplication never turns a
 * request into a no-op.
 *
 * The machine is shared and noisy: both servers are warmed up, then measured in rounds of one run
 * each, in ABBA order; the headline ratio is the median of the rounds' ratios. req/s is responses
 * over our own wall clock (autocannon's duration and `requests.average` are rounded to its 1 s
 * tick). Beside it, the CPU each process group (load generator, server, Postgres, Redis) spent per
 * request, from /proc: on 2 shared cores that sum, not any one process, bounds requests/s.
 * BENCH_CPU_PROF=<dir> writes V8 CPU profiles of both servers there; BENCH_LOG_LEVEL (default
 * warn) sets both servers' log level.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { checkpoint, createBenchDatabase, queuedRunStatements, seedLinkedUsers, vacuumAnalyze } from '../bench-database.ts';
import type { BenchContext, BenchResult, BenchScenario } from '../bench-result.ts';
import { deletePrefixedKeys } from '@ach/queue';
import { freePort } from '@ach/testing';
import { stop } from '../child-process.ts';
import { cpuDelta, cpuSnapshot, type CpuGroups } from '../process-cpu.ts';
import { median } from '../stats.ts';

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
/**
 * Measured rounds (one run per side each, ABBA order); medians are reported. Many short rounds:
 * the machine's speed swings within seconds, and a median over more pairs is steadier.
 */
const ROUNDS = 10;
/** Requests that bring the bare route to its steady rate (measured: its rate stops rising by ~30k). */
const BARE_WARM_UP = 40_000;

// Same Fastify, same JSON body parsing, same producer connection and logger level as the API;
// only the route's own work differs.
const BARE_SERVER = `
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@ach/observability';
import { createRedisConnection, createSyncQueues } from '@ach/queue';
const redis = createRedisConnection(process.env.REDIS_URL, 'producer', { commandTimeout: 1_500 });
const queues = createSyncQueues(['steam'], { connection: redis, prefix: process.env.QUEUE_PREFIX });
const app = Fastify({ loggerInstance: createLogger({ name: 'bare', level: process.env.LOG_LEVEL }), genReqId: () => randomUUID() });
app.post('/bare/:platform', async (_req, reply) => {
  const syncId = randomUUID();
  await queues.steam.add('sync', { syncId, userId: randomUUID(), platform: 'steam', mode: 'incremental' }, { jobId: syncId });
  return reply.code(202).send({ syncId, status: 'queued', deduplicated: false });
});
// A clean exit (not a signal death) so that --cpu-prof writes the bare route's profile too.
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
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

/** autocannon's result plus our own clock: when each response arrived. */
interface FireResult extends AutocannonResult {
  responses: number;
  /** performance.now() of every response, in arrival order. */
  responseTimes: number[];
  /** CPU ms each process group used during the run. */
  cpu: Record<string, number>;
}

function fire(options: { url: string; amount: number; tokens?: string[]; cpuGroups: CpuGroups }): Promise<FireResult> {
  let next = 0;
  const responseTimes: number[] = [];
  return new Promise((resolve, reject) => {
    const cpuBefore = cpuSnapshot(options.cpuGroups);
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
      (error, result) =>
        error
          ? reject(error)
          : resolve({ ...result, responses: responseTimes.length, responseTimes, cpu: cpuDelta(cpuBefore, cpuSnapshot(options.cpuGroups)) }),
    );
    instance.on('response', () => {
      responseTimes.push(performance.now());
    });
  });
}

// autocannon reports only on its 1 s tick, so its own duration (and requests.average) is rounded
// up to whole seconds. Our own clock, over the middle 90 % of the responses: opening 50
// connections and draining the last ones cost the same time on both sides, which would weigh
// more on the shorter (faster) run and so flatter the slower side.
const reqPerSecond = (r: FireResult) => {
  const first = Math.floor(r.responseTimes.length * 0.05);
  const last = Math.ceil(r.responseTimes.length * 0.95) - 1;
  return (last - first) / ((r.responseTimes[last]! - r.responseTimes[first]!) / 1000);
};

/** The run whose req/s is the median (lower median for an even count), reported as a whole. */
function medianRun(runs: FireResult[]): FireResult {
  const sorted = [...runs].sort((a, b) => reqPerSecond(a) - reqPerSecond(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

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
    const users = Math.max(1_000, Math.round(34_000 * ctx.scale));
    const database = await createBenchDatabase(ctx.postgresAdminUrl);
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const children: ChildProcess[] = [];
    try {
      const ids = await seedLinkedUsers(database.db, { count: users, platformId: 3 });
      // Steady state, as in production: statistics gathered and the bulk load's pages vacuumed, so
      // that autovacuum waking up for the seed does not compete with one measured run but not another.
      await vacuumAnalyze(database.db);
      await checkpoint(database.db);
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
      const bare = startProcess([...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--input-type=module', '-e', BARE_SERVER], { ...env, QUEUE_PREFIX: `${prefix}-bare`, PORT: String(barePort) });
      children.push(bare);
      await waitForHealth(`http://127.0.0.1:${apiPort}/health`, api);
      await waitForHealth(`http://127.0.0.1:${barePort}/bare/steam`, bare);

      // Everything that competes for this machine's cores during a run.
      const cpuGroups = (server: ChildProcess): CpuGroups => ({ 'load generator': process.pid, server: server.pid!, postgres: 'postgres', redis: 'redis-server' });
      const bareCpu = cpuGroups(bare);
      const apiCpu = cpuGroups(api);
      const bareUrl = `http://127.0.0.1:${barePort}/bare/steam`;
      const apiUrl = `http://127.0.0.1:${apiPort}/sync/steam`;
      // Warm-up on both (JIT, pools, Redis scripts); the API's on users the measured runs do not use.
      const warm = Math.min(10_000, Math.floor(users / 3));
      // The API's inserts wake autovacuum on sync_logs; left alone it lands in whichever run comes
      // next, often the bare route's. Vacuumed here instead, between runs, outside every timed window.
      const vacuumSyncLogs = () => vacuumAnalyze(database.db, ['sync_logs']);
      // The bare route's rate kept rising through its first ~30k requests here; it needs no users,
      // so it is warmed to its steady state — a short warm-up flattered the API's ratio.
      await fire({ url: bareUrl, amount: BARE_WARM_UP, cpuGroups: bareCpu });
      await fire({ url: apiUrl, amount: warm, tokens: tokens.slice(0, warm), cpuGroups: apiCpu });
      await vacuumSyncLogs();

      // Interleaved in ABBA order (bare, api, api, bare, …) so that drift in the machine's speed and
      // any cost of going first or second fall on both sides alike; each round is one pair.
      const perRound = Math.floor((tokens.length - warm) / ROUNDS);
      const bareRuns: FireResult[] = [];
      const apiRuns: FireResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const runBare = async () => bareRuns.push(await fire({ url: bareUrl, amount: perRound, cpuGroups: bareCpu }));
        const runApi = async () => {
          apiRuns.push(await fire({ url: apiUrl, amount: perRound, tokens: tokens.slice(warm + round * perRound, warm + (round + 1) * perRound), cpuGroups: apiCpu }));
          await vacuumSyncLogs();
        };
        if (round % 2 === 0) {
          await runBare();
          await runApi();
        } else {
          await runApi();
          await runBare();
        }
      }
      const baseline = medianRun(bareRuns);
      const result = medianRun(apiRuns);

      const accepted = apiRuns.reduce((n, r) => n + r['2xx'], 0);
      const non2xx = apiRuns.reduce((n, r) => n + r.non2xx, 0);
      const errors = apiRuns.reduce((n, r) => n + r.errors, 0);
      const { rows, statements } = await queuedRunStatements(database.db);
      const jobs = await countJobs(ctx.redisUrl, prefix);
      const apiRate = median(apiRuns.map(reqPerSecond));
      const bareRate = median(bareRuns.map(reqPerSecond));
      // Headline ratio: the median of the rounds' own ratios, each taken between runs seconds apart.
      const roundRatios = apiRuns.map((r, i) => reqPerSecond(r) / reqPerSecond(bareRuns[i]!));
      const ratio = median(roundRatios);
      const p99s = (runs: FireResult[]) => runs.map((r) => r.latency.p99).join(', ');
      const apiP99 = median(apiRuns.map((r) => r.latency.p99));
      // µs of CPU per response by process group, summed over the measured runs of one side.
      const cpuParts = (runs: FireResult[]) => {
        const responses = runs.reduce((n, r) => n + r.responses, 0);
        const labels = Object.keys(runs[0]!.cpu);
        const parts = labels.map((label) => [label, (runs.reduce((sum, r) => sum + r.cpu[label]!, 0) * 1000) / responses] as const);
        return { parts, total: parts.reduce((sum, [, us]) => sum + us, 0) };
      };
      const cpuPerRequest = (runs: FireResult[]) => {
        const { parts, total } = cpuParts(runs);
        return `${parts.map(([label, us]) => `${label} ${us.toFixed(0)}`).join(', ')}; total ${total.toFixed(0)} µs`;
      };
      // Every core busy with nothing but this route: the most requests/s its CPU cost allows here.
      const cores = availableParallelism();
      const cpuBoundRate = (runs: FireResult[]) => (cores * 1e6) / cpuParts(runs).total;
      return [
        {
          metric: `POST /sync/steam req/s (c=${CONNECTIONS}, median of ${ROUNDS} interleaved runs × ${perRound} distinct users)`,
          value: apiRate,
          unit: 'req/s',
          baseline: { label: 'bare Fastify route calling queue.add, median', value: bareRate },
          ratio,
          target: '≥ 0.5× baseline (median of per-round ratios)',
          met: ratio >= 0.5,
          notes:
            `per round (api / bare): ${apiRuns.map((r, i) => `${reqPerSecond(r).toFixed(0)} / ${reqPerSecond(bareRuns[i]!).toFixed(0)} = ${roundRatios[i]!.toFixed(2)}×`).join(', ')}; ` +
            `${accepted} × 2xx, ${non2xx} non-2xx, ${errors} errors; ${rows} queued runs in sync_logs from ${statements} INSERTs, ${jobs} jobs in sync-steam; ` +
            `CPU µs per request — api: ${cpuPerRequest(apiRuns)}; bare: ${cpuPerRequest(bareRuns)}`,
        },
        {
          metric: 'POST /sync/steam p99 latency (median of runs)',
          value: apiP99,
          unit: 'ms',
          baseline: { label: 'bare route p99, median', value: median(bareRuns.map((r) => r.latency.p99)) },
          target: '< 20 ms',
          met: apiP99 < 20,
          // Little's law: with c requests always outstanding, mean latency = c / throughput. A p99
          // under 20 ms needs (short of a few extreme outliers) a mean under 20 ms: > 2,500 req/s at
          // c=50 — and no more requests/s are possible than the cores divided by the CPU per request.
          notes:
            `api p99 per run ${p99s(apiRuns)}; bare ${p99s(bareRuns)}; median run: p50 ${result.latency.p50} ms, p97.5 ${result.latency.p97_5} ms (bare p50 ${baseline.latency.p50} ms); ` +
            `mean latency at these rates (Little's law, ${CONNECTIONS} / req/s): api ${((CONNECTIONS / apiRate) * 1000).toFixed(1)} ms, bare ${((CONNECTIONS / bareRate) * 1000).toFixed(1)} ms; ` +
            `CPU bound on ${cores} cores (cores / CPU per request): api ≤ ${cpuBoundRate(apiRuns).toFixed(0)} req/s, so a mean ≥ ${((CONNECTIONS / cpuBoundRate(apiRuns)) * 1000).toFixed(1)} ms; bare ≤ ${cpuBoundRate(bareRuns).toFixed(0)} req/s`,
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
