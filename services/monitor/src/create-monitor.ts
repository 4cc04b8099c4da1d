import { pingRedis, type RedisClient } from '@ach/queue';
import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { Logger } from '@ach/observability';
import { withinDeadline } from '@ach/runtime';
import type { AlertChannel } from './alerts/alert-channel.ts';
import { createAlertNotifier } from './alerts/alert-notifier.ts';
import type { RetryPolicy } from './alerts/deliver-with-retry.ts';
import { createEmailChannel } from './alerts/email-channel.ts';
import { createWebhookChannel } from './alerts/webhook-channel.ts';
import { startMonitorHttpServer } from './http/monitor-http-server.ts';
import { createMonitorMetrics, type MonitorMetrics } from './metrics/monitor-metrics.ts';
import { qualitySettingsFrom, type MonitorEnv } from './monitor-env.ts';
import type { CheckMode } from './quality/check-result.ts';
import { databaseNow } from './quality/quality-repository.ts';
import { createQualityRunLock } from './quality/run-lock.ts';
import { runQualityCheck, type QualityRunDeps, type QualityRunOutcome, type QualitySettings } from './quality/run-quality-check.ts';
import { createPlatformQueues } from './queues/platform-queues.ts';
import { startMonitorScheduler, type MonitorSchedule, type MonitorScheduler } from './schedule/monitor-scheduler.ts';

export interface MonitorConfig {
  databaseUrl: string;
  queuePrefix: string;
  schedule: MonitorSchedule;
  quality: QualitySettings;
  /** How long a scheduled full check waits for a run in progress (an incremental one) before giving up. */
  fullCheckLockWaitMs: number;
  http: { host: string; port: number; metricsToken?: string };
  alerts: {
    webhookUrl?: string;
    email?: { smtpUrl: string; from: string; to: string[] };
    repeatAfterMs: number;
    retry?: RetryPolicy;
  };
}

export function monitorConfigFromEnv(env: MonitorEnv): MonitorConfig {
  return {
    databaseUrl: env.DATABASE_URL,
    queuePrefix: env.QUEUE_PREFIX,
    schedule: { cron: env.MONITOR_CRON, tz: env.MONITOR_TZ, incrementalEveryMs: env.MONITOR_INCREMENTAL_EVERY_MS },
    quality: qualitySettingsFrom(env),
    fullCheckLockWaitMs: 10 * 60_000,
    http: { host: env.MONITOR_METRICS_HOST, port: env.MONITOR_METRICS_PORT, ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}) },
    alerts: {
      ...(env.ALERT_WEBHOOK_URL ? { webhookUrl: env.ALERT_WEBHOOK_URL } : {}),
      ...(env.ALERT_SMTP_URL && env.ALERT_EMAIL_TO && env.ALERT_EMAIL_FROM
        ? { email: { smtpUrl: env.ALERT_SMTP_URL, from: env.ALERT_EMAIL_FROM, to: env.ALERT_EMAIL_TO } }
        : {}),
      repeatAfterMs: env.ALERT_REPEAT_AFTER_MS,
    },
  };
}

export interface RunningMonitor {
  /** The port /health, /ready and /metrics answer on. */
  httpPort: number;
  metrics: MonitorMetrics;
  scheduler: MonitorScheduler;
  /** A run outside the schedule (same lock, alerts and record as a scheduled one). */
  runNow(mode: CheckMode, options?: { lockWaitMs?: number }): Promise<QualityRunOutcome>;
  close(): Promise<void>;
}

/**
 * The monitor process's parts wired together: alert channels and notifier, metrics, the /metrics +
 * /health server and the schedules. `db` and `redis` are the process's connections (the caller
 * opens and closes them); `redis` must be a worker-role connection (BullMQ's Worker blocks on it).
 */
export async function startMonitor(config: MonitorConfig, deps: { db: Kysely<Database>; redis: RedisClient; log: Logger }): Promise<RunningMonitor> {
  const { db, redis, log } = deps;
  const metrics = createMonitorMetrics({ db, log });
  const channels: AlertChannel[] = [];
  if (config.alerts.webhookUrl) channels.push(createWebhookChannel({ url: config.alerts.webhookUrl }));
  if (config.alerts.email) channels.push(createEmailChannel(config.alerts.email));
  if (channels.length === 0) log.warn('no ALERT_WEBHOOK_URL or ALERT_SMTP_URL: alerts are only logged');
  const notifier = createAlertNotifier({
    db, channels, log, repeatAfterMs: config.alerts.repeatAfterMs, onDelivery: metrics.alertDelivered,
    ...(config.alerts.retry ? { retry: config.alerts.retry } : {}),
  });
  const queues = createPlatformQueues({ db, connection: redis, prefix: config.queuePrefix });
  const runLock = createQualityRunLock(config.databaseUrl);
  const runDeps: QualityRunDeps = {
    db, databaseUrl: config.databaseUrl, runLock, log, queues, settings: config.quality, notifier,
    events: { redis, prefix: config.queuePrefix }, observer: metrics,
  };

  const http = await startMonitorHttpServer({
    ...config.http,
    registry: metrics.registry,
    log,
    readiness: {
      postgres: async () => (await withinDeadline(databaseNow(db), 1_000, 'postgres')) instanceof Date,
      redis: async () => {
        await withinDeadline(pingRedis(redis, config.queuePrefix), 1_000, 'redis');
        return true;
      },
    },
  });
  let scheduler: MonitorScheduler;
  try {
    scheduler = await startMonitorScheduler({
      connection: redis,
      prefix: config.queuePrefix,
      log,
      schedule: config.schedule,
      run: (mode, signal) => runQualityCheck(runDeps, { mode, signal, lockWaitMs: mode === 'full' ? config.fullCheckLockWaitMs : 0 }),
    });
  } catch (error) {
    await http.close();
    await notifier.close();
    await queues.close();
    await runLock.close();
    throw error;
  }

  return {
    httpPort: http.port,
    metrics,
    scheduler,
    runNow: (mode, options = {}) => runQualityCheck(runDeps, { mode, lockWaitMs: options.lockWaitMs ?? config.fullCheckLockWaitMs }),
    async close() {
      await scheduler.close();
      await http.close();
      await notifier.close();
      await queues.close();
      await runLock.close();
    },
  };
}
