/**
 * What other processes (the API's admin routes and dashboard) call into. Every function takes its
 * dependencies explicitly; `runQualityCheck` takes the same advisory lock as the monitor's schedule,
 * so a run started from the API never overlaps a scheduled one.
 */
export {
  runQualityCheck,
  type QualityRun,
  type QualityRunDeps,
  type QualityRunOptions,
  type QualityRunOutcome,
  type QualitySettings,
  type RunObserver,
} from './quality/run-quality-check.ts';
export { createQualityRunLock, type QualityRunLock } from './quality/run-lock.ts';
export {
  authTriggerStatus,
  backfillGhostUsers,
  backfillWarnings,
  CHECK_ORDER,
  latestStatus,
  MAX_HISTORY_DAYS,
  statusHistory,
  type AuthTriggerState,
  type BackfillAction,
  type BackfillResult,
  type HistoryEntry,
  type RecordedRunView,
} from './quality/quality-repository.ts';
export type { CheckMode, CheckResult, CheckStatus, OverallStatus, Severity } from './quality/check-result.ts';
export { recentAlerts, type AlertLogEntry, type DeliveryReport } from './alerts/alert-log-repository.ts';
export { createAlertNotifier, type AlertNotifier } from './alerts/alert-notifier.ts';
export { createPlatformQueues, type PlatformQueues } from './queues/platform-queues.ts';
export { MONITOR_QUEUE_NAME } from '@ach/queue';
export { QUALITY_JOB_NAME, qualityJobSchema, type QualityJob, type QualityJobResult } from './schedule/monitor-scheduler.ts';
export { monitorConfigFromEnv, startMonitor, type MonitorConfig, type RunningMonitor } from './create-monitor.ts';
export { monitorEnv, qualitySettingsEnv, qualitySettingsFrom, type MonitorEnv } from './monitor-env.ts';
