import { z } from 'zod';
import { credentialsKeyEnv, databaseEnv, logEnv, platformEnv, redisEnv } from '@ach/config';

const optionalSecret = z.string().min(1).optional();

/** Everything the API process reads from its environment, parsed once in server.ts. */
export const apiEnv = databaseEnv
  .extend(redisEnv.shape)
  .extend(logEnv.shape)
  .extend(credentialsKeyEnv.shape)
  .extend(platformEnv.shape)
  .extend({
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    SUPABASE_JWT_SECRET: optionalSecret,
    SUPABASE_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    JWT_AUDIENCE: z.string().min(1).default('authenticated'),
    JWT_ISSUER: z.string().min(1).optional(),
    BULL_BOARD_USER: optionalSecret,
    BULL_BOARD_PASSWORD: optionalSecret,
    AUTH_WEBHOOK_SECRET: optionalSecret,
  })
  .superRefine((env, ctx) => {
    if (!env.SUPABASE_JWT_SECRET && !env.SUPABASE_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['SUPABASE_JWT_SECRET'],
        message: 'set SUPABASE_JWT_SECRET and/or SUPABASE_JWKS_URL to verify access tokens',
      });
    }
  });

export type ApiEnv = z.output<typeof apiEnv>;

/** The part of the environment the app itself (not the process wiring) needs. */
export interface ApiConfig {
  queuePrefix: string;
  jwt: { secret?: string; jwksUrl?: string; audience: string; issuer?: string };
  bullBoard?: { user: string; password: string };
  authWebhookSecret?: string;
}

export function apiConfigFrom(env: ApiEnv): ApiConfig {
  return {
    queuePrefix: env.QUEUE_PREFIX,
    jwt: { secret: env.SUPABASE_JWT_SECRET, jwksUrl: env.SUPABASE_JWKS_URL, audience: env.JWT_AUDIENCE, issuer: env.JWT_ISSUER },
    bullBoard: env.BULL_BOARD_USER && env.BULL_BOARD_PASSWORD ? { user: env.BULL_BOARD_USER, password: env.BULL_BOARD_PASSWORD } : undefined,
    authWebhookSecret: env.AUTH_WEBHOOK_SECRET,
  };
}
