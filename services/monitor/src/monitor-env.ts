import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { databaseEnv, logEnv, metricsEnv, redisEnv, requireHashTaggedPrefixOnCluster, trustedFetchUrl } from '@ach/config';

/** Compose passes `${VAR:-}` for optional settings: an empty value means "not set". */
const unsetWhenEmpty = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema);

const milliseconds = (fallback: number, min: number) =>
  unsetWhenEmpty(z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(min).default(fallback));

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const isCronPattern = (pattern: string) => {
  try {
    CronExpressionParser.parse(pattern, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
};

const EMAIL = /^[^\s@<>,]+@[^\s@<>,]+$/;

/**
 * What a quality run does besides measuring (repair ghosts, sweep stuck syncs, judge queue waits):
 * shared with the API, whose `POST /admin/quality/run` must run the check exactly as the monitor does.
 */
export const qualitySettingsEnv = z.object({
  MONITOR_AUTO_BACKFILL: unsetWhenEmpty(
    z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }).default('true').transform((v) => ['true', '1', 'yes'].includes(v)),
  ),
  MONITOR_STUCK_SYNC_AFTER_MS: milliseconds(1_800_000, 1_000),
  MONITOR_QUEUE_MAX_WAIT_MS: milliseconds(900_000, 1_000),
});

/** The settings a run takes (`QualitySettings`), from the parsed variables. */
export const qualitySettingsFrom = (env: z.output<typeof qualitySettingsEnv>) => ({
  autoBackfill: env.MONITOR_AUTO_BACKFILL,
  stuckSyncAfterMs: env.MONITOR_STUCK_SYNC_AFTER_MS,
  queueMaxWaitMs: env.MONITOR_QUEUE_MAX_WAIT_MS,
});

export const monitorEnv = databaseEnv
  .extend(redisEnv.shape)
  .extend(logEnv.shape)
  .extend(metricsEnv.shape)
  .extend(qualitySettingsEnv.shape)
  .extend({
    MONITOR_CRON: unsetWhenEmpty(z.string().trim().default('0 2 * * *').refine(isCronPattern, { message: 'must be a cron pattern (5 fields, or 6 with seconds)' })),
    MONITOR_TZ: unsetWhenEmpty(z.string().trim().default('UTC').refine(isTimeZone, { message: 'must be an IANA time zone such as UTC or Europe/Berlin' })),
    MONITOR_INCREMENTAL_EVERY_MS: milliseconds(300_000, 100),
    MONITOR_METRICS_PORT: unsetWhenEmpty(z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65_535).default(9464)),
    MONITOR_METRICS_HOST: unsetWhenEmpty(z.string().min(1).default('127.0.0.1')),
    ALERT_WEBHOOK_URL: unsetWhenEmpty(trustedFetchUrl().optional()),
    ALERT_SMTP_URL: unsetWhenEmpty(z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
    ALERT_EMAIL_TO: unsetWhenEmpty(
      z
        .string()
        .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
        .refine((list) => list.length > 0 && list.every((a) => EMAIL.test(a)), { message: 'must be one or more e-mail addresses, comma-separated' })
        .optional(),
    ),
    ALERT_EMAIL_FROM: unsetWhenEmpty(
      z.string().trim().refine((v) => EMAIL.test(v) || /^[^<>]*<[^\s@<>,]+@[^\s@<>,]+>$/.test(v), { message: 'must be an e-mail address, optionally as "Name <address>"' }).optional(),
    ),
    ALERT_REPEAT_AFTER_MS: milliseconds(3_600_000, 0),
  })
  .superRefine((env, ctx) => {
    requireHashTaggedPrefixOnCluster(env, ctx);
    if (!isTimeZone(env.MONITOR_TZ)) return;
    try {
      CronExpressionParser.parse(env.MONITOR_CRON, { tz: env.MONITOR_TZ }).next();
    } catch {
      ctx.addIssue({ code: 'custom', path: ['MONITOR_CRON'], message: `has no next run in ${env.MONITOR_TZ}` });
    }
    const email = { ALERT_EMAIL_TO: env.ALERT_EMAIL_TO, ALERT_EMAIL_FROM: env.ALERT_EMAIL_FROM };
    for (const [name, value] of Object.entries(email)) {
      if (env.ALERT_SMTP_URL && value === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when ALERT_SMTP_URL is set' });
      if (!env.ALERT_SMTP_URL && value !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'needs ALERT_SMTP_URL (the server that sends the alert e-mail)' });
    }
  });

export type MonitorEnv = z.output<typeof monitorEnv>;
