import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { createPlatformAccountRepository } from '@ach/accounts';
import type { Database } from '@ach/db';
import { createSteamClient } from '@ach/platform-clients';
import { steam } from '@ach/platform-registry';
import { DEFAULT_STEAM_API_KEY, startSandbox } from '@ach/platform-sandbox';
import { createLogger } from '@ach/observability';
import { createSyncQueue, deletePrefixedKeys } from '@ach/queue';
import { mapWithConcurrency } from '@ach/sync-engine';
import { requestSync } from '@ach/sync-runs';
import { createBenchDatabase, createBenchUser } from '../bench-database.ts';
import { stop } from '../child-process.ts';
import { peakRssResult, startBenchWorker, succeededRunStats, vmHwmMb, type BenchWorker } from '../worker-process.ts';
import type { BenchResult, BenchScenario } from '../bench-result.ts';

/**
 * A real worker process (services/worker-steam/src/main.ts) syncing a sandbox account of 1,000 games
 * × 50 achievements: wall time beside the bare cost of the same Steam calls, the worker's peak RSS
 * (VmHWM) beside the same process idle, and a no-change resync's calls and rows.
 */
const WORKER_MAIN = fileURLToPath(new URL('../../services/worker-steam/src/main.ts', import.meta.url));
const STEAM_ID = '76561198000000501';
const GAME_CONCURRENCY = 4;

const log = createLogger({ name: 'bench', level: 'warn' });

/** A run created and enqueued the way POST /sync/steam does it (@ach/sync-runs' accept path). */
async function requestSteamSync(db: Kysely<Database>, queue: ReturnType<typeof createSyncQueue>, userId: string, mode: 'incremental' | 'full') {
  const accepted = await requestSync({ db, queues: { steam: queue }, log, enqueueTimeoutMs: 5_000 }, { userId, platform: steam, mode });
  return accepted.syncId;
}

type RunStats = { rowsWritten: number; apiCallsTotal: number; gamesChanged: number };
const finished = (db: Kysely<Database>, userId: string, syncId: string, timeoutMs: number) => succeededRunStats<RunStats>(db, userId, syncId, timeoutMs);

const scenario: BenchScenario = {
  name: 'sync-engine-full-sync',
  async run(ctx) {
    const gameCount = Math.max(20, Math.round(1000 * ctx.scale));
    const bench = await createBenchDatabase(ctx.postgresAdminUrl);
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const queue = createSyncQueue('steam', { connection: redis, prefix });
    const sandbox = await startSandbox({
      port: 0,
      steam: { accounts: [{ steamId: STEAM_ID, options: { games: gameCount, achievementsPerGame: 50, earnedRatio: 0.6, hiddenRatio: 0.1, noStatsRatio: 0 } }] },
    });
    let worker: BenchWorker | undefined;
    try {
      // Build the sandbox's (deterministic) library up front so neither measurement pays for it.
      const library = sandbox.state.steam.library(STEAM_ID)!;
      const userId = await createBenchUser(bench.db, { email: 'bench@example.test', username: 'bench_sync' });
      const linked = await createPlatformAccountRepository(bench.db).link({ userId, platformId: steam.id, externalAccountId: STEAM_ID, displayName: null, avatarUrl: null, verified: false });
      if (linked.kind !== 'linked') throw new Error(`could not link the bench account: ${linked.kind}`);

      // Idle baseline: the process with everything wired and connected, before any job.
      worker = await startBenchWorker(WORKER_MAIN, {
        DATABASE_URL: bench.url,
        REDIS_URL: ctx.redisUrl,
        QUEUE_PREFIX: prefix,
        STEAM_API_KEY: DEFAULT_STEAM_API_KEY,
        STEAM_API_BASE_URL: sandbox.url,
        CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        SYNC_GAME_CONCURRENCY: String(GAME_CONCURRENCY),
        STEAM_RATE_LIMIT_PER_SECOND: '100000',
      });
      const pid = worker.child.pid!;
      const { idleMb } = worker;

      // One sync, enqueue → succeeded: its stats, wall time and the Steam calls it made.
      const timedSync = async (timeoutMs: number) => {
        sandbox.state.calls.clear();
        const started = performance.now();
        const stats = await finished(bench.db, userId, await requestSteamSync(bench.db, queue, userId, 'incremental'), timeoutMs);
        const seconds = (performance.now() - started) / 1000;
        const calls = Object.values(sandbox.state.calls.snapshot()).reduce((n, e) => n + e.total, 0);
        return { stats, seconds, calls };
      };

      const { stats: full, seconds: fullSeconds, calls: fullCalls } = await timedSync(600_000);
      const peakMb = vmHwmMb(pid);

      const { stats: resync, seconds: resyncSeconds, calls: resyncCalls } = await timedSync(120_000);

      // Baseline: the same Steam calls, same number in flight, nothing written.
      const client = createSteamClient({ baseUrl: sandbox.url, apiKey: DEFAULT_STEAM_API_KEY });
      const bareStarted = performance.now();
      const owned = await client.getOwnedGames(STEAM_ID);
      await mapWithConcurrency(owned, GAME_CONCURRENCY, async (game) => {
        await client.getSchemaForGame(game.appId);
        await client.getGlobalAchievementPercentages(game.appId);
        await client.getPlayerAchievements(STEAM_ID, game.appId);
      });
      const bareSeconds = (performance.now() - bareStarted) / 1000;

      const rows = await sql<{ a: number; u: number }>`select (select count(*) from achievements)::int as a, (select count(*) from user_achievements)::int as u`.execute(bench.db);
      const notes = `${library.games.length} games × 50 achievements: ${rows.rows[0]!.a} achievements, ${rows.rows[0]!.u} unlocks, ${full.rowsWritten} rows written, ${fullCalls} Steam calls`;
      const results: BenchResult[] = [
        {
          metric: 'full sync wall time (worker process, enqueue → succeeded)',
          value: fullSeconds,
          unit: 's',
          baseline: { label: `the same Steam calls alone, ${GAME_CONCURRENCY} in flight, no DB`, value: bareSeconds },
          notes,
        },
        peakRssResult(peakMb, idleMb),
        {
          metric: 'no-change resync: Steam API calls',
          value: resyncCalls,
          unit: 'calls',
          baseline: { label: 'full sync', value: fullCalls },
          target: '1 (GetOwnedGames only)',
          met: resyncCalls === 1,
        },
        {
          metric: 'no-change resync: rows written',
          value: resync.rowsWritten,
          unit: 'rows',
          baseline: { label: 'full sync', value: full.rowsWritten },
          target: '0',
          met: resync.rowsWritten === 0,
        },
        {
          metric: 'no-change resync wall time',
          value: resyncSeconds,
          unit: 's',
          baseline: { label: 'full sync', value: fullSeconds },
        },
      ];
      return results;
    } catch (error) {
      throw new Error(`${(error as Error).message}\nworker stderr:\n${(worker?.stderr ?? []).join('').slice(-2000)}`);
    } finally {
      if (worker) await stop(worker.child);
      await queue.close();
      await deletePrefixedKeys(redis, prefix);
      redis.disconnect();
      await sandbox.close();
      await bench.drop();
    }
  },
};

export default scenario;
