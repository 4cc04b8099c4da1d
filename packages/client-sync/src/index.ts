export { PULLED_TABLES, WRITABLE_TABLES, WRITABLE_PROFILE_FIELDS, RECENT_RUNS_PER_PLATFORM, isWritableTable, type PulledTable, type WritableTable } from './protocol/client-tables.ts';
export { PushConflictError, SyncResetRequiredError, UsernameTakenError, type ConflictingRecord } from './protocol/client-sync-errors.ts';
export { pullChanges, type PullChangesInput, type PullChangesResult, type PulledTableChanges } from './repository/pull-changes-repository.ts';
export { pullResponseBody, pullResponseBytes } from './pull/pull-response-body.ts';
export { applyPush, type FlexRoomWrite, type PushInput, type PushStats, type TableChanges } from './push/apply-push.ts';
export type { HelpRequestWrite, ProfileWrite } from './repository/push-changes-repository.ts';
