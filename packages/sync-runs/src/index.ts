export {
  createSyncRunRepository,
  SYNC_RUN_COLUMNS,
  type CreatedRunRow,
  type LiveRunRow,
  type QuietRun,
  type QueuedRunInput,
  type QueuedRunStart,
  type RunOutcomeCount,
  type StartOutcome,
  type SyncRunKey,
  type SyncRunPosition,
  type SyncRunRepository,
  type SyncRunRepositoryDeps,
  type SyncRunRow,
} from './repository/sync-run-repository.ts';
export { requestSync, type AcceptPlatform, type RequestSyncDeps, type SyncRequestInput, type SyncRequestResult } from './accept/request-sync.ts';
export { createSyncRequestBatcher, type SyncRequestBatcher, type SyncRequestBatcherDeps } from './accept/sync-request-batcher.ts';
export { isSyncAcceptError, SyncAcceptError, type SyncAcceptRefusal } from './accept/sync-accept-error.ts';
export { unlinkAccount } from './unlink/unlink-account.ts';
