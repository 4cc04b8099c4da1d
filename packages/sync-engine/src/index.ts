export type {
  AchievementDefinition,
  AchievementRarity,
  AdapterAccount,
  CredentialExpiry,
  GameMetadata,
  ListTitlesOptions,
  PlatformAdapter,
  PlatformIdentity,
  TitleListing,
  TitleSummary,
  UserUnlock,
  UserUnlocks,
} from './adapter/platform-adapter.ts';
export { TitleGoneError } from './adapter/title-gone-error.ts';
export { createApiCallTracker, type ApiCallCounts, type ApiCallTracker } from './engine/api-call-tracker.ts';
export { mapWithConcurrency } from './engine/map-with-concurrency.ts';
export {
  createSyncEngine,
  SyncAttemptError,
  SUSPICIOUS_LIST_CODE,
  type RunContext,
  type SyncEngine,
  type SyncEngineOptions,
  type SyncRunResult,
  type SyncStats,
} from './engine/sync-engine.ts';
export { createRedisTokenBucket, type RateLimiter } from './rate-limit/redis-token-bucket.ts';
export {
  createRedisWindowLimiter,
  DEFAULT_MAX_INLINE_WAIT_MS,
  type RateWindow,
  type TakeOutcome,
  type WindowLimiter,
  type WindowLimiterOptions,
} from './rate-limit/redis-window-limiter.ts';
export { createKeyedRateLimiter, isKeyedRateLimiter, type KeyedRateLimiter, type KeyedRateLimiterOptions } from './rate-limit/keyed-rate-limiter.ts';
export { RateBudgetSpentError } from './rate-limit/rate-budget-spent-error.ts';
export {
  createCredentialSession,
  credentialSessionsPerJob,
  type CredentialSession,
  type CredentialSessionOptions,
  type RefreshedCredentials,
} from './credentials/credential-session.ts';
export { createRedisRunCheckpoints, type RunCheckpoints } from './engine/run-checkpoints.ts';
export { createSyncWorker, type SyncWorker, type SyncWorkerOptions } from './runner/sync-worker.ts';
export { runWorkerProcess, type WorkerProcess, type WorkerProcessOverrides } from './runner/run-worker-process.ts';
export type { AdapterDeps, ClientHooks, WorkerPlatform } from './runner/worker-platform.ts';
export { workerCoreEnv, type WorkerCoreEnv } from './runner/worker-env.ts';
// The run repository lives in @ach/sync-runs; re-exported for the workers that wire an engine.
export { createSyncRunRepository, type StartOutcome, type SyncRunKey, type SyncRunRepository } from '@ach/sync-runs';
