import { z } from 'zod';
import { redisUrlSchema } from './redis-url.ts';

/** A base URL is scheme + host (+ port) only; clients append each platform's real path. */
export const baseUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/ })
    .default(fallback)
    .transform((value) => value.replace(/\/+$/, ''))
    .refine((value) => new URL(value).pathname === '/' || new URL(value).pathname === '', {
      message: 'must be scheme://host[:port] without a path',
    });

export const logEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const databaseEnv = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgres://root@127.0.0.1:5432/achievements'),
});

/**
 * REDIS_URL: one server (`redis://host:port`), or a Redis Cluster — several comma-separated nodes
 * (`redis://h1:7000,h2:7001`) or one seed with `?cluster=true`; see redis-url.ts. Stays the string
 * (createRedisConnection reads it); a cluster also needs a hash-tagged QUEUE_PREFIX, which each
 * process's schema checks with `requireHashTaggedPrefixOnCluster`.
 */
export const redisEnv = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379')
    .superRefine((value, ctx) => {
      const parsed = redisUrlSchema.safeParse(value);
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    }),
  QUEUE_PREFIX: z
    .string()
    .min(1)
    .regex(/^[^:\s]+$/, 'must not contain ":" or spaces')
    .default('ach'),
});

/** 32 random bytes, base64: the AES-256-GCM key for stored platform tokens. */
export const credentialsKeyEnv = z.object({
  CREDENTIALS_ENCRYPTION_KEY: z
    .string({ error: 'is required (32 bytes, base64)' })
    .refine((v) => Buffer.from(v, 'base64').length === 32, { message: 'must be 32 bytes, base64-encoded' }),
  /**
   * Retired keys still accepted for reading, comma-separated; lets the key be rotated without
   * downtime. Parsed to the list of keys (empty when unset).
   */
  CREDENTIALS_ENCRYPTION_OLD_KEYS: z
    .string()
    .default('')
    .refine((v) => v === '' || v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32), {
      message: 'must be comma-separated 32-byte base64 keys',
    })
    .transform((v) => (v === '' ? [] : v.split(',').map((k) => k.trim()))),
});
