import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { CredentialCipher } from '@ach/crypto';
import type { Logger } from '@ach/observability';
import type { SyncJob } from '@ach/queue';
import type { AchievementRarity, AdapterAccount, PlatformAdapter, PlatformIdentity, TitleSummary, UserUnlock } from '../adapter/platform-adapter.ts';
import { TitleGoneError } from '../adapter/title-gone-error.ts';
import { loadAccount } from '../runs/load-account.ts';
import type { SyncRunKey, SyncRunRepository } from '@ach/sync-runs';
import { SyncJobError } from '../sync-job-error.ts';
import {
  addWriteCounts,
  dedupeBy,
  emptyWriteCounts,
  removeVanishedTitles,
  rowsWritten,
  storedChangeMarkers,
  writeGameBatch,
  type GameWrite,
  type WriteCounts,
} from '@ach/library';
import type { ApiCallCounts, ApiCallTracker } from './api-call-tracker.ts';
import { createGameMetadataCache, type FetchedMetadata, type StoredMetadata } from './game-metadata-cache.ts';
import { mapWithConcurrency } from './map-with-concurrency.ts';
import { createProgressReporter } from './progress-reporter.ts';
import type { RunCheckpoints } from './run-checkpoints.ts';

export interface SyncEngineOptions {
  db: Kysely<Database>;
  adapter: PlatformAdapter;
  runs: SyncRunRepository;
  log: Logger;
  cipher?: CredentialCipher;
  /** Per-job API call counts for the stats; without it the stats carry none. */
  calls?: ApiCallTracker;
  /** How long a game's definitions and rarity are trusted (default 7 days). */
  metadataTtlMs?: number;
  /** Titles fetched at once within one job (default 4). */
  gameConcurrency?: number;
  /** A write batch is flushed when it holds this many titles… (default 50) */
  batchMaxGames?: number;
  /** …or this many achievement + unlock rows (default 5,000)… */
  batchMaxRows?: number;
  /**
   * …or when its first title has waited this long (default 2 s): at a slow platform's pace (PSN: a
   * few titles a minute) titles still land, and the app shows them, as they arrive.
   */
  batchMaxWaitMs?: number;
  progressIntervalMs?: number;
  /**
   * Titles earlier attempts of the same run wrote: a full run that is rerun (killed worker, delayed for
   * its call budget, retried) fetches only the rest. Without it a rerun of a full run starts over.
   */
  checkpoints?: RunCheckpoints;
  /**
   * Shrinking-list guard (full mode): a complete list with more than `minMissingShare` (default 0.2) AND
   * more than `minMissingTitles` (default 10) fewer titles than are stored for the user is not trusted:
   * the run fails with `suspicious_list` (not retried) and nothing is removed or written.
   */
  suspiciousList?: { minMissingShare?: number; minMissingTitles?: number };
}

/** The run's code when a full list is suspiciously shorter than what is stored. */
export const SUSPICIOUS_LIST_CODE = 'suspicious_list';

// A type alias, not an interface: it is then a Record<string, unknown> where the run repository stores it.
export type SyncStats = {
  mode: 'incremental' | 'full';
  attempt: number;
  retries: number;
  gamesSeen: number;
  gamesChanged: number;
  gamesWritten: number;
  /** Titles the platform no longer knows (`TitleGoneError`): not written, the run goes on. */
  gamesSkipped: number;
  /** Full mode: titles an earlier attempt of this run already wrote, not fetched again. */
  gamesResumed: number;
  metadataFetched: number;
  metadataFromCache: number;
  rows: WriteCounts;
  rowsWritten: number;
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
  apiCallsFailed: number;
  durationMs: number;
};

export type SyncRunResult = { outcome: 'succeeded'; stats: SyncStats } | { outcome: 'skipped'; reason: string };

export interface RunContext {
  /** BullMQ's attemptsMade before this attempt: retries so far. */
  attemptsMade: number;
  log?: Logger;
}

export interface SyncEngine {
  /** The platform of its adapter: the only jobs it runs. */
  readonly platform: PlatformIdentity;
  run(job: SyncJob, context: RunContext): Promise<SyncRunResult>;
}

/** Carries what the job did before it failed, so the runner can store it with the failure. */
export class SyncAttemptError extends Error {
  readonly stats: SyncStats;
  constructor(cause: unknown, stats: SyncStats) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'SyncAttemptError';
    this.stats = stats;
  }
}

/** Fresh definitions with the rarity the user's answer carried (a copy: the fetched metadata is shared by concurrent jobs). */
function withRarity(metadata: FetchedMetadata, rarity: AchievementRarity[]): FetchedMetadata {
  const byId = new Map(rarity.map((r) => [r.platformAchievementId, r.rarityPercentage]));
  return {
    ...metadata,
    achievements: metadata.achievements.map((a) => (byId.has(a.platformAchievementId) ? { ...a, rarityPercentage: byId.get(a.platformAchievementId) ?? null } : a)),
  };
}

/** What actually went wrong: the engine wraps a failure once, to carry its partial stats. */
export const failureCause = (error: unknown): unknown => (error instanceof SyncAttemptError ? error.cause : error);

/**
 * The platform-neutral sync: load account → list titles → diff with what user_progress stores →
 * for changed titles only: definitions (shared cache) and the user's unlocks → batched set-based
 * writes → progress → stats. It knows nothing of any platform; the adapter does.
 */
export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const { db, adapter, runs } = options;
  const platform = adapter.platform;
  const platformId = platform.id;
  const metadataCache = createGameMetadataCache({ db, platformId, ttlMs: options.metadataTtlMs });
  const gameConcurrency = options.gameConcurrency ?? 4;
  const batchMaxGames = options.batchMaxGames ?? 50;
  const batchMaxRows = options.batchMaxRows ?? 5_000;
  const batchMaxWaitMs = options.batchMaxWaitMs ?? 2_000;
  const minMissingShare = options.suspiciousList?.minMissingShare ?? 0.2;
  const minMissingTitles = options.suspiciousList?.minMissingTitles ?? 10;

  async function fetchGame(account: AdapterAccount, title: TitleSummary, cached: StoredMetadata | undefined, counters: { fetched: number; cached: number }): Promise<GameWrite> {
    const fetchMetadata = async () => {
      counters.fetched += 1;
      return metadataCache.fetchShared(title.platformGameId, () => adapter.fetchGameMetadata(account, title));
    };
    let metadata: FetchedMetadata | null = null;
    let knownIds: Set<string>;
    // The platform says the title now defines a different number (a DLC added some): the cache is stale.
    if (cached && title.definedAchievements !== undefined && cached.achievementsTotal !== title.definedAchievements) cached = undefined;
    if (cached) {
      counters.cached += 1;
      knownIds = cached.achievementIds;
    } else {
      metadata = await fetchMetadata();
      knownIds = new Set(metadata.achievements.map((a) => a.platformAchievementId));
    }
    // A title without achievements has no unlocks to ask for.
    if (knownIds.size === 0 && (!cached || cached.achievementsTotal === 0)) return { title, metadata, unlocks: [] };
    const { unlocks, rarity } = await adapter.fetchUserUnlocks(account, title);
    const earned: UserUnlock[] = dedupeBy(unlocks, (u) => u.platformAchievementId);
    if (!metadata && earned.some((u) => !knownIds.has(u.platformAchievementId))) {
      // The user has an achievement our cached definitions lack: the game changed; refresh it now.
      metadata = await fetchMetadata();
    }
    // Rarity that came with the unlocks goes into fresh definitions, or over the cached ones.
    if (!rarity || rarity.length === 0) return { title, metadata, unlocks: earned };
    if (metadata) return { title, metadata: withRarity(metadata, rarity), unlocks: earned };
    return { title, metadata, unlocks: earned, rarity };
  }

  /** A title gone on the platform's side is skipped (null), not a failed run. */
  async function fetchGameOrSkip(...args: Parameters<typeof fetchGame>): Promise<GameWrite | null> {
    try {
      return await fetchGame(...args);
    } catch (error) {
      if (!(error instanceof TitleGoneError)) throw error;
      // Definitions fetched for it will not be written: later jobs must not be handed them.
      metadataCache.settled([args[1].platformGameId]);
      return null;
    }
  }

  return {
    platform,
    async run(job, context) {
      const log = (context.log ?? options.log).child({ syncId: job.syncId, platform: job.platform });
      const started = performance.now();
      const key: SyncRunKey = { syncId: job.syncId, userId: job.userId, platform: job.platform, platformId };
      if (job.platform !== platform.slug) throw new SyncJobError('wrong_platform', `a ${job.platform} job reached the ${platform.slug} worker`);

      const start = await runs.start(key);
      if (start.state === 'missing') throw new SyncJobError('sync_not_found', `no sync_logs row ${job.syncId} for this user and platform`);
      if (start.state === 'terminal') {
        log.info({ status: start.status }, 'sync already finished; nothing to do');
        return { outcome: 'skipped', reason: `already ${start.status}` };
      }
      const mode = job.mode;
      const written = emptyWriteCounts();
      const counters = { fetched: 0, cached: 0 };
      let gamesSeen = 0;
      let gamesChanged = 0;
      let gamesWritten = 0;
      let gamesSkipped = 0;
      let gamesResumed = 0;
      let callCounts: ApiCallCounts = { byEndpoint: {}, failed: 0 };
      const stats = (): SyncStats => ({
        mode,
        attempt: context.attemptsMade + 1,
        retries: context.attemptsMade,
        gamesSeen,
        gamesChanged,
        gamesWritten,
        gamesSkipped,
        gamesResumed,
        metadataFetched: counters.fetched,
        metadataFromCache: counters.cached,
        rows: written,
        rowsWritten: rowsWritten(written),
        apiCalls: { ...callCounts.byEndpoint },
        apiCallsTotal: Object.values(callCounts.byEndpoint).reduce((a, b) => a + b, 0),
        apiCallsFailed: callCounts.failed,
        durationMs: Math.round(performance.now() - started),
      });
      const progress = createProgressReporter({ write: (p) => runs.progress(key, p), log, minIntervalMs: options.progressIntervalMs });

      const body = async () => {
        const account = await loadAccount({ db, cipher: options.cipher }, job.userId, { platform: job.platform, platformId });
        const markers = await storedChangeMarkers(db, { userId: job.userId, platformId });
        const syncedThrough = await runs.lastSucceededStartedAt(job.userId, platformId);
        const listing = await adapter.listTitles(account, { mode, storedMarkers: markers, syncedThrough });
        const titles = dedupeBy(listing.titles, (t) => t.platformGameId);
        gamesSeen = titles.length;
        progress.report(5);

        // Only a complete list says what the user no longer has: a list that stopped early lacks
        // titles that are merely unchanged.
        if (mode === 'full') {
          if (listing.complete) {
            // A platform hiccup that answers a fraction of the library must not wipe the rest.
            const missing = markers.size - titles.length;
            if (missing > minMissingTitles && missing > markers.size * minMissingShare) {
              log.warn({ listed: titles.length, stored: markers.size }, 'full list far shorter than what is stored: not trusted');
              throw new SyncJobError(
                SUSPICIOUS_LIST_CODE,
                `${platform.displayName} listed ${titles.length} games where ${markers.size} are stored; nothing was removed — try again later`,
              );
            }
            addWriteCounts(written, await removeVanishedTitles(db, { userId: job.userId, platformId, keepGameIds: titles.map((t) => t.platformGameId) }));
          } else log.warn({ gamesSeen }, 'full sync got a partial title list: no title removed');
        }
        // A full run refetches everything — except what an earlier attempt of this very run wrote
        // (and whose marker has not moved since).
        // `start.attempts` is the run's own count: a stalled job taken over by another worker, or one
        // delayed for its budget, is not an attempt to BullMQ but is a rerun here.
        const resumed = mode === 'full' && options.checkpoints && start.attempts > 1 ? await options.checkpoints.written(job.syncId) : new Set<string>();
        const changed = titles.filter((t) =>
          mode === 'full' ? !(resumed.has(t.platformGameId) && markers.get(t.platformGameId) === t.changeMarker) : markers.get(t.platformGameId) !== t.changeMarker,
        );
        gamesResumed = mode === 'full' ? titles.length - changed.length : 0;
        gamesChanged = changed.length;
        log.info({ gamesSeen, gamesChanged, mode, listComplete: listing.complete }, 'titles listed');
        const fresh = await metadataCache.loadFresh(changed.map((t) => t.platformGameId));

        // Fetched titles wait here until a batch is worth a transaction; one flush at a time.
        let buffer: GameWrite[] = [];
        let bufferRows = 0;
        let flushing: Promise<void> = Promise.resolve();
        let flushTimer: NodeJS.Timeout | undefined;
        const flush = () => {
          clearTimeout(flushTimer);
          flushTimer = undefined;
          const batch = buffer;
          buffer = [];
          bufferRows = 0;
          if (batch.length === 0) return flushing;
          flushing = flushing.then(async () => {
            let counts: WriteCounts;
            try {
              counts = await writeGameBatch(db, { userId: job.userId, platformId, games: batch, removeUnreported: mode === 'full' });
            } finally {
              // Written or rolled back, these fetches are done: later jobs read the database, or
              // fetch again — never reuse a result that never landed.
              metadataCache.settled(batch.filter((g) => g.metadata).map((g) => g.title.platformGameId));
            }
            if (mode === 'full') await options.checkpoints?.add(job.syncId, batch.map((g) => g.title.platformGameId));
            addWriteCounts(written, counts);
            gamesWritten += batch.length;
            progress.report(5 + (95 * (gamesWritten + gamesSkipped)) / Math.max(1, gamesChanged));
          });
          return flushing;
        };

        let fetchError: unknown;
        try {
          await mapWithConcurrency(changed, gameConcurrency, async (title) => {
            const game = await fetchGameOrSkip(account, title, fresh.get(title.platformGameId), counters);
            if (!game) {
              gamesSkipped += 1;
              log.warn({ platformGameId: title.platformGameId }, 'title gone on the platform: skipped');
              return;
            }
            buffer.push(game);
            bufferRows += (game.metadata?.achievements.length ?? 0) + game.unlocks.length + 1;
            if (buffer.length >= batchMaxGames || bufferRows >= batchMaxRows) await flush();
            // A write error surfaces at the next flush that is awaited (the chain stays rejected).
            else flushTimer ??= setTimeout(() => void flush().catch(() => undefined), batchMaxWaitMs);
          });
        } catch (error) {
          fetchError = error;
        }
        // Titles fetched completely before a failure are still written: their transactions stand,
        // the failing title has nothing half-written, and a rerun resumes from the markers.
        await flush();
        if (fetchError) throw fetchError;
      };

      try {
        if (options.calls) {
          const tracking = options.calls.track(body);
          callCounts = tracking.counts;
          await tracking.result;
        } else {
          await body();
        }
        await progress.settle();
        const final = stats();
        await runs.succeed(key, final);
        if (mode === 'full') await options.checkpoints?.clear(job.syncId);
        log.info({ stats: { ...final, rows: undefined } }, 'sync succeeded');
        return { outcome: 'succeeded', stats: final };
      } catch (error) {
        await progress.settle();
        throw new SyncAttemptError(error, stats());
      }
    },
  };
}
