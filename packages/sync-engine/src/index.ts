export type {
  AchievementDefinition,
  AdapterAccount,
  GameMetadata,
  PlatformAdapter,
  TitleSummary,
  UserUnlock,
  UserUnlocks,
} from './adapter/platform-adapter.ts';
export { createApiCallTracker, type ApiCallCounts, type ApiCallTracker } from './engine/api-call-tracker.ts';
export { createGameMetadataCache, DEFAULT_METADATA_TTL_MS, type GameMetadataCache } from './engine/game-metadata-cache.ts';
export { mapWithConcurrency } from './engine/map-with-concurrency.ts';
export { createProgressReporter, type ProgressReporter } from './engine/progress-reporter.ts';
export {
  createSyncEngine,
  SyncAttemptError,
  type RunContext,
  type SyncEngine,
  type SyncEngineOptions,
  type SyncRunResult,
  type SyncStats,
} from './engine/sync-engine.ts';
export { createRedisTokenBucket, type RateLimiter } from './rate-limit/redis-token-bucket.ts';
export { decideFailure, type FailureDecision } from './runner/failure-policy.ts';
export { createSyncWorker, type SyncWorker, type SyncWorkerOptions } from './runner/sync-worker.ts';
export { loadAccount } from './runs/load-account.ts';
export { createSyncRunRepository, type StartOutcome, type SyncRunKey, type SyncRunRepository } from './runs/sync-run-repository.ts';
export { SyncJobError } from './sync-job-error.ts';
export { dedupeBy } from './write/dedupe.ts';
export { removeVanishedTitles, writeGameBatch, type GameWrite, type WriteGameBatchInput } from './write/write-game-batch.ts';
export { addWriteCounts, emptyWriteCounts, rowsWritten, type TableCounts, type WriteCounts } from './write/write-counts.ts';
