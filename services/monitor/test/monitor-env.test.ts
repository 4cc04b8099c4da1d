import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '@ach/config';
import { monitorConfigFromEnv, monitorEnv } from '../src/index.ts';

const variablesOf = (env: Record<string, string>) => {
  try {
    parseEnv(monitorEnv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.variables;
    throw error;
  }
  return [];
};

describe('monitor environment', () => {
  it('has the contract\'s defaults', () => {
    const config = monitorConfigFromEnv(parseEnv(monitorEnv, {}));
    expect(config).toEqual({
      databaseUrl: 'postgres://root@127.0.0.1:5432/achievements',
      queuePrefix: 'ach',
      schedule: { cron: '0 2 * * *', tz: 'UTC', incrementalEveryMs: 300_000 },
      quality: { autoBackfill: true, stuckSyncAfterMs: 1_800_000, queueMaxWaitMs: 900_000 },
      fullCheckLockWaitMs: 600_000,
      http: { host: '127.0.0.1', port: 9464 },
      alerts: { repeatAfterMs: 3_600_000 },
    });
  });

  it('reads every setting; an empty value (compose\'s ${VAR:-}) means unset', () => {
    const env = parseEnv(monitorEnv, {
      MONITOR_CRON: '30 3 * * 1', MONITOR_TZ: 'Europe/Berlin', MONITOR_INCREMENTAL_EVERY_MS: '60000', MONITOR_AUTO_BACKFILL: 'false',
      MONITOR_STUCK_SYNC_AFTER_MS: '600000', MONITOR_QUEUE_MAX_WAIT_MS: '120000', MONITOR_METRICS_PORT: '9100', MONITOR_METRICS_HOST: '0.0.0.0',
      METRICS_TOKEN: 'a-metrics-token-of-16+', ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', ALERT_SMTP_URL: 'smtps://u:p@mail.example.com:465',
      ALERT_EMAIL_TO: 'ops@example.com, oncall@example.com', ALERT_EMAIL_FROM: 'Monitor <monitor@example.com>', ALERT_REPEAT_AFTER_MS: '0',
    });
    expect(monitorConfigFromEnv(env)).toMatchObject({
      schedule: { cron: '30 3 * * 1', tz: 'Europe/Berlin', incrementalEveryMs: 60_000 },
      quality: { autoBackfill: false, stuckSyncAfterMs: 600_000, queueMaxWaitMs: 120_000 },
      http: { host: '0.0.0.0', port: 9100, metricsToken: 'a-metrics-token-of-16+' },
      alerts: {
        webhookUrl: 'https://hooks.slack.com/services/T/B/x',
        email: { smtpUrl: 'smtps://u:p@mail.example.com:465', from: 'Monitor <monitor@example.com>', to: ['ops@example.com', 'oncall@example.com'] },
        repeatAfterMs: 0,
      },
    });
    expect(parseEnv(monitorEnv, { ALERT_WEBHOOK_URL: '', ALERT_SMTP_URL: '', ALERT_EMAIL_TO: '', MONITOR_TZ: '' })).toMatchObject({ MONITOR_TZ: 'UTC' });
  });

  it('names every bad variable', () => {
    expect(variablesOf({ MONITOR_TZ: 'Nowhere/City', MONITOR_CRON: 'every day' }).sort()).toEqual(['MONITOR_CRON', 'MONITOR_TZ']);
    expect(variablesOf({ ALERT_SMTP_URL: 'http://mail.example.com', ALERT_EMAIL_TO: 'ops@example.com', ALERT_EMAIL_FROM: 'monitor@example.com' })).toEqual(['ALERT_SMTP_URL']);
    expect(variablesOf({ ALERT_SMTP_URL: 'smtp://mail.example.com' }).sort()).toEqual(['ALERT_EMAIL_FROM', 'ALERT_EMAIL_TO']);
    expect(variablesOf({ ALERT_SMTP_URL: 'smtp://mail.example.com', ALERT_EMAIL_TO: 'not-an-address', ALERT_EMAIL_FROM: 'monitor@example.com' })).toEqual(['ALERT_EMAIL_TO']);
    expect(variablesOf({ MONITOR_INCREMENTAL_EVERY_MS: '10' })).toEqual(['MONITOR_INCREMENTAL_EVERY_MS']);
    expect(variablesOf({ MONITOR_METRICS_PORT: '70000' })).toEqual(['MONITOR_METRICS_PORT']);
  });
});

describe('monitor environment: Redis Cluster', () => {
  it('refuses a cluster REDIS_URL unless QUEUE_PREFIX has a hash tag', () => {
    expect(variablesOf({ REDIS_URL: 'redis://10.0.0.1:7000?cluster=true', QUEUE_PREFIX: 'ach' })).toEqual(['QUEUE_PREFIX']);
    expect(variablesOf({ REDIS_URL: 'redis://10.0.0.1:7000?cluster=true', QUEUE_PREFIX: '{ach}' })).toEqual([]);
  });
});
