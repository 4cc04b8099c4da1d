import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { createPlatformAccountRepository } from '@ach/accounts';
import { createCredentialCipher, credentialsAssociatedData } from '@ach/crypto';
import type { Database } from '@ach/db';
import { addWriteCounts, emptyWriteCounts, rowsWritten, writeGameBatch, type GameWrite } from '@ach/library';
import { createLogger } from '@ach/observability';
import { linkPsnAccount, type PsnCredentials } from '@ach/platform-clients';
import { createPsnAdapter, psn } from '@ach/platform-registry';
import { startSandbox } from '@ach/platform-sandbox';
import { createSyncQueue, deletePrefixedKeys } from '@ach/queue';
import { mapWithConcurrency, type AdapterAccount } from '@ach/sync-engine';
import { requestSync } from '@ach/sync-runs';
import { createBenchDatabase, createBenchUser } from '../bench-database.ts';
import { stop } from '../child-process.ts';
import { peakRssResult, startBenchWorker, succeededRunStats, vmHwmMb, type BenchWorker } from '../worker-process.ts';
import type { BenchResult, BenchScenario } from '../bench-result.ts';

/**
 * A real worker process (services/worker-psn/src/main.ts) running a FULL sync of a sandbox PSN library of
 * 2,000 titles / 50,000 trophies (both generations, DLC groups), beside, in the same run:
 * - the same PSN calls alone (the PSN adapter in this process, same concurrency, nothing written);
 * - the engine's raw write rate: exactly those titles written with `writeGameBatch` into an empty
 *   database, no platform in the way;
 * - the worker's peak RSS (VmHWM) beside the same process idle;
 * - a no-change (incremental) resync: its calls and rows.
 * PSN's call budget is OFF for the measurement (PSN_RATE_LIMIT_MAX 10,000,000 per second — the limiter
 * still runs its Redis script per call): at PSN's real ≈ 300 calls / 15 min this library takes hours.
 */
const WORKER_MAIN = fileURLToPath(new URL('../../services/worker-psn/src/main.ts', import.meta.url));
const ACCOUNT_ID = '7700000000000002000';
const NPSSO = 'bench-npsso-psn-collector';
const GAME_CONCURRENCY = 4;
const BATCH_GAMES = 50;

const log = createLogger({ name: 'bench', level: 'warn' });

interface RunStats {
  rowsWritten: number;
  apiCallsTotal: number;
  gamesChanged: number;
  gamesWritten: number;
}

const finished = (db: Kysely<Database>, userId: string, syncId: string, timeoutMs: number) => succeededRunStats<RunStats>(db, userId, syncId, timeoutMs);

const scenario: BenchScenario = {
  name: 'psn-full-sync',
  async run(ctx) {
    // Block-aligned (20 titles per catalogue block): 25 trophies per title on average.
    const titleCount = Math.max(20, Math.round((2000 * ctx.scale) / 20) * 20);
    const bench = await createBenchDatabase(ctx.postgresAdminUrl);
    const raw = await createBenchDatabase(ctx.postgresAdminUrl);
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const queue = createSyncQueue('psn', { connection: redis, prefix });
    const sandbox = await startSandbox({ port: 0, psn: { seedDefaults: false } });
    const key = randomBytes(32).toString('base64');
    const cipher = createCredentialCipher({ key });
    const env = { PSN_AUTH_BASE_URL: sandbox.url, PSN_API_BASE_URL: sandbox.url };
    let worker: BenchWorker | undefined;
    try {
      sandbox.state.psn.addAccount({ npsso: NPSSO, accountId: ACCOUNT_ID, onlineId: 'bench_collector', library: { titles: titleCount, earnedRatio: 0.6 } });
      // Generate the sandbox's (deterministic) earned state up front so neither measurement pays for it.
      const view = sandbox.state.psn.trophies.view(ACCOUNT_ID, false)!;

      const userId = await createBenchUser(bench.db, { email: 'bench@example.test', username: 'bench_psn' });
      const linked = await psn.linking!.link({ npsso: NPSSO }, { env });
      const link = await createPlatformAccountRepository(bench.db).link({
        userId,
        platformId: psn.id,
        externalAccountId: linked.externalAccountId,
        displayName: linked.displayName,
        avatarUrl: linked.avatarUrl,
        credentials: cipher.sealJson(linked.credentials, credentialsAssociatedData(userId, 'psn')),
        tokenExpiresAt: linked.tokenExpiresAt,
        refreshExpiresAt: linked.refreshExpiresAt,
        verified: true,
      });
      if (link.kind !== 'linked') throw new Error(`could not link the bench account: ${link.kind}`);

      // Idle baseline: the process with everything wired and connected, before any job.
      worker = await startBenchWorker(WORKER_MAIN, {
        DATABASE_URL: bench.url,
        REDIS_URL: ctx.redisUrl,
        QUEUE_PREFIX: prefix,
        ...env,
        CREDENTIALS_ENCRYPTION_KEY: key,
        SYNC_GAME_CONCURRENCY: String(GAME_CONCURRENCY),
        PSN_RATE_LIMIT_MAX: '10000000',
        PSN_RATE_LIMIT_WINDOW_MS: '1000',
      });
      const pid = worker.child.pid!;
      const { idleMb } = worker;

      const timedSync = async (mode: 'incremental' | 'full', timeoutMs: number) => {
        sandbox.state.calls.clear();
        const started = performance.now();
        const accepted = await requestSync({ db: bench.db, queues: { psn: queue }, log, enqueueTimeoutMs: 5_000 }, { userId, platform: psn, mode });
        const stats = await finished(bench.db, userId, accepted.syncId, timeoutMs);
        const seconds = (performance.now() - started) / 1000;
        const calls = Object.values(sandbox.state.calls.snapshot()).reduce((n, e) => n + e.total, 0);
        return { stats, seconds, calls };
      };

      const full = await timedSync('full', 900_000);
      const peakMb = vmHwmMb(pid);
      const resync = await timedSync('incremental', 120_000);

      // Baseline 1: the same PSN calls alone, same number in flight, nothing written — through the same
      // adapter, in this process. Its answers are the rows of baseline 2.
      let credentials: PsnCredentials = (await linkPsnAccount({ npsso: NPSSO }, { psnAuth: psn.createClient(env, {}).auth })).credentials;
      const account: AdapterAccount = {
        userId,
        externalAccountId: ACCOUNT_ID,
        credentials: () => credentials,
        saveCredentials: async (value) => {
          credentials = value as PsnCredentials;
        },
      };
      const adapter = createPsnAdapter({ client: psn.createClient(env, {}), platform: psn, log });
      const fetchedAt = new Date();
      const games: GameWrite[] = [];
      const bareStarted = performance.now();
      const { titles } = await adapter.listTitles(account, { mode: 'full', storedMarkers: new Map(), syncedThrough: null });
      await mapWithConcurrency(titles, GAME_CONCURRENCY, async (title) => {
        const metadata = await adapter.fetchGameMetadata(account, title);
        const mine = await adapter.fetchUserUnlocks(account, title);
        const rarity = new Map((mine.rarity ?? []).map((r) => [r.platformAchievementId, r.rarityPercentage]));
        games.push({
          title,
          metadata: { ...metadata, fetchedAt, achievements: metadata.achievements.map((a) => ({ ...a, rarityPercentage: rarity.get(a.platformAchievementId) ?? null })) },
          unlocks: mine.unlocks,
        });
      });
      const bareSeconds = (performance.now() - bareStarted) / 1000;

      // Baseline 2: the engine's own write of those titles into an empty database, batches as the worker's.
      const rawUser = await createBenchUser(raw.db, { email: 'raw@example.test', username: 'bench_raw' });
      const rawCounts = emptyWriteCounts();
      const rawStarted = performance.now();
      for (let i = 0; i < games.length; i += BATCH_GAMES) {
        addWriteCounts(rawCounts, await writeGameBatch(raw.db, { userId: rawUser, platformId: psn.id, games: games.slice(i, i + BATCH_GAMES), removeUnreported: true }));
      }
      const rawSeconds = (performance.now() - rawStarted) / 1000;
      const rawRate = rowsWritten(rawCounts) / rawSeconds;

      const stored = await sql<{ a: number; u: number }>`select (select count(*) from achievements)::int as a, (select count(*) from user_achievements)::int as u`.execute(bench.db);
      const notes = `${view.titleCount} titles, ${stored.rows[0]!.a} trophies stored (${view.trophyCount} defined), ${stored.rows[0]!.u} unlocks, ${full.stats.rowsWritten} rows written, ${full.calls} PSN calls; budget off (PSN_RATE_LIMIT_MAX 10M/s)`;
      const results: BenchResult[] = [
        {
          metric: 'full sync wall time (worker process, enqueue → succeeded)',
          value: full.seconds,
          unit: 's',
          baseline: { label: `the same PSN calls alone, ${GAME_CONCURRENCY} titles in flight, no DB`, value: bareSeconds },
          notes,
        },
        {
          metric: 'full sync: PSN calls',
          value: full.calls,
          unit: 'calls',
          baseline: { label: 'titles', value: view.titleCount },
          notes: '1 list page per 800 titles; per title titleTrophies + userTrophies (+ titleTrophyGroups for sets with DLC)',
        },
        {
          metric: 'full sync write rate (rows written ÷ wall time)',
          value: full.stats.rowsWritten / full.seconds,
          unit: 'rows/s',
          baseline: { label: 'engine raw write of the same titles (writeGameBatch, empty DB, no platform)', value: rawRate },
          notes: `raw: ${rowsWritten(rawCounts)} rows in ${rawSeconds.toFixed(2)} s`,
        },
        peakRssResult(peakMb, idleMb),
        {
          metric: 'no-change resync: PSN calls',
          value: resync.calls,
          unit: 'calls',
          baseline: { label: 'full sync', value: full.calls },
          target: '1 (one trophyTitles page)',
          met: resync.calls === 1,
        },
        {
          metric: 'no-change resync: rows written',
          value: resync.stats.rowsWritten,
          unit: 'rows',
          baseline: { label: 'full sync', value: full.stats.rowsWritten },
          target: '0',
          met: resync.stats.rowsWritten === 0,
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
      await raw.drop();
      await bench.drop();
    }
  },
};

export default scenario;
