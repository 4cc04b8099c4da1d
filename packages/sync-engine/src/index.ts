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
export { mapWithConcurrency } from './engine/map-with-concurrency.ts';
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
export { createSyncWorker, type SyncWorker, type SyncWorkerOptions } from './runner/sync-worker.ts';
export { createSyncRunRepository, type StartOutcome, type SyncRunKey, type SyncRunRepository } from './runs/sync-run-repository.ts';
export { writeGameBatch, type GameWrite, type WriteGameBatchInput } from './write/write-game-batch.ts';
export type { TableCounts, WriteCounts } from './write/write-counts.ts';
