import { z } from 'zod';
import { baseUrl } from '@ach/config';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Read by the API (linking) and the worker. */
export const psnEnv = z.object({
  PSN_AUTH_BASE_URL: baseUrl('https://ca.account.sony.com'),
  PSN_API_BASE_URL: baseUrl('https://m.np.playstation.com'),
});
export type PsnEnv = z.output<typeof psnEnv>;

/**
 * The worker's additions: PSN's call budget per account (≈ 300 per 15 min as client libraries measured
 * it), shared by every worker replica through the Redis window limiter.
 */
export const psnWorkerEnv = z.object({
  /** Trophy API calls per window per PSN account, across ALL worker replicas. */
  PSN_RATE_LIMIT_MAX: positiveInt(300),
  /** The window, in milliseconds (15 min). */
  PSN_RATE_LIMIT_WINDOW_MS: positiveInt(900_000),
});
export type PsnWorkerEnv = PsnEnv & z.output<typeof psnWorkerEnv>;
