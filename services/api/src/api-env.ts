import { z } from 'zod';
import { baseUrl, credentialsKeyEnv, databaseEnv, logEnv, optionalSecretOfAtLeast, redisEnv, requireHashTaggedPrefixOnCluster, trustedFetchUrl } from '@ach/config';
import { qualitySettingsEnv, qualitySettingsFrom, type QualitySettings } from '@ach/monitor';
import { builtinPlatformRegistry, type PlatformRegistry } from '@ach/platform-registry';
import type { AppOptions } from './app-deps.ts';

const optionalSecret = z.string().min(1).optional();

const perMinute = (fallback: number) => z.coerce.number().int().min(1).max(100_000).default(fallback);

/** Where browsers reach this API (a path prefix is fine, e.g. behind a proxy); no trailing slash. */
const publicBaseUrl = z
  .url({ protocol: /^https?$/ })
  .default('http://127.0.0.1:3000')
  .refine((value) => {
    const url = new URL(value);
    return !url.search && !url.hash && !url.username && !url.password;
  }, { message: 'must be scheme://host[:port][/path] without query, fragment or credentials' })
  .transform((value) => value.replace(/\/+$/, ''));

/** The API's own variables; the platforms' come from the registry's modules (`apiEnvFor`). */
const apiOwnEnv = databaseEnv
  .extend(redisEnv.shape)
  .extend(logEnv.shape)
  .extend(credentialsKeyEnv.shape)
  // POST /admin/quality/run runs the check as the monitor does: the same MONITOR_* settings.
  .extend(qualitySettingsEnv.shape)
  .extend({
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    SUPABASE_JWT_SECRET: optionalSecretOfAtLeast(32),
    SUPABASE_JWKS_URL: trustedFetchUrl().optional(),
    JWT_AUDIENCE: z.string().min(1).default('authenticated'),
    JWT_ISSUER: z.string().min(1).optional(),
    BULL_BOARD_USER: optionalSecret,
    BULL_BOARD_PASSWORD: optionalSecretOfAtLeast(16),
    AUTH_WEBHOOK_SECRET: optionalSecretOfAtLeast(32),
    /** When set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>`. */
    METRICS_TOKEN: optionalSecretOfAtLeast(16),
    SSE_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1_000).default(5),
    SSE_MAX_STREAM_LIFETIME_MS: z.coerce.number().int().min(1_000).max(24 * 3_600_000).default(900_000),
    // Per-user request budgets (per minute, shared by every replica through Redis).
    SYNC_RATE_LIMIT_PER_MINUTE: perMinute(30),
    LINK_RATE_LIMIT_PER_MINUTE: perMinute(10),
    CLIENT_SYNC_RATE_LIMIT_PER_MINUTE: perMinute(60),
    SSE_RATE_LIMIT_PER_MINUTE: perMinute(30),
    /** Steam's OpenID 2.0 provider; the client appends `/openid/login`. */
    STEAM_OPENID_BASE_URL: baseUrl('https://steamcommunity.com'),
    /** The return URL and realm of browser flows (Steam sign-in). */
    PUBLIC_BASE_URL: publicBaseUrl,
  });

/**
 * Everything the API process reads from its environment, parsed once in server.ts: its own
 * variables and every registered platform's env piece (base URLs, keys).
 */
export const apiEnvFor = (platforms: PlatformRegistry) =>
  apiOwnEnv
    .extend(platforms.env.shape as Record<never, never>)
    .superRefine((env, ctx) => {
      requireHashTaggedPrefixOnCluster(env, ctx);
      if (!env.SUPABASE_JWT_SECRET && !env.SUPABASE_JWKS_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['SUPABASE_JWT_SECRET'],
          message: 'set SUPABASE_JWT_SECRET and/or SUPABASE_JWKS_URL to verify access tokens',
        });
      }
    });

export const apiEnv = apiEnvFor(builtinPlatformRegistry());

export type ApiEnv = z.output<typeof apiEnv>;

/** The part of the environment the app itself (not the process wiring) needs. */
export interface ApiConfig {
  queuePrefix: string;
  jwt: { secret?: string; jwksUrl?: string; audience: string; issuer?: string };
  bullBoard?: { user: string; password: string };
  authWebhookSecret?: string;
  /** METRICS_TOKEN: when set, `/metrics` wants `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** PUBLIC_BASE_URL: Steam sign-in returns to `<publicBaseUrl>/accounts/steam/openid/callback`; unset → Steam sign-in answers 503. */
  publicBaseUrl?: string;
  /** `POST /admin/quality/run`: DATABASE_URL (the run lock holds a connection of its own) and the monitor's MONITOR_* settings; unset → 503. */
  quality?: { databaseUrl: string; settings: QualitySettings };
}

export function apiConfigFrom(env: ApiEnv): ApiConfig {
  return {
    queuePrefix: env.QUEUE_PREFIX,
    jwt: { secret: env.SUPABASE_JWT_SECRET, jwksUrl: env.SUPABASE_JWKS_URL, audience: env.JWT_AUDIENCE, issuer: env.JWT_ISSUER },
    bullBoard: env.BULL_BOARD_USER && env.BULL_BOARD_PASSWORD ? { user: env.BULL_BOARD_USER, password: env.BULL_BOARD_PASSWORD } : undefined,
    authWebhookSecret: env.AUTH_WEBHOOK_SECRET,
    metricsToken: env.METRICS_TOKEN,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    quality: { databaseUrl: env.DATABASE_URL, settings: qualitySettingsFrom(env) },
  };
}

/** The tunables of the app (limits and caps) the process takes from its environment. */
export function apiOptionsFrom(env: ApiEnv): Pick<AppOptions, 'rateLimit' | 'sseMaxStreamsPerUser' | 'sseMaxStreamLifetimeMs'> {
  return {
    rateLimit: {
      syncMax: env.SYNC_RATE_LIMIT_PER_MINUTE,
      linkMax: env.LINK_RATE_LIMIT_PER_MINUTE,
      clientSyncMax: env.CLIENT_SYNC_RATE_LIMIT_PER_MINUTE,
      streamMax: env.SSE_RATE_LIMIT_PER_MINUTE,
      timeWindowMs: 60_000,
    },
    sseMaxStreamsPerUser: env.SSE_MAX_STREAMS_PER_USER,
    sseMaxStreamLifetimeMs: env.SSE_MAX_STREAM_LIFETIME_MS,
  };
}
