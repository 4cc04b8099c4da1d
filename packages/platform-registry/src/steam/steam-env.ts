import { z } from 'zod';
import { baseUrl } from '@ach/config';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Read by the API (linking: the key may be absent, then Steam links answer 503) and the worker. */
export const steamEnv = z.object({
  STEAM_API_KEY: z.string().min(1).optional(),
  STEAM_API_BASE_URL: baseUrl('https://api.steampowered.com'),
});
export type SteamEnv = z.output<typeof steamEnv>;

/** The worker's additions: it cannot do anything without a key. */
export const steamWorkerEnv = z.object({
  STEAM_API_KEY: z.string({ error: 'is required' }).min(1, 'is required'),
  /** Steam calls per second across ALL worker replicas (shared Redis token bucket). */
  STEAM_RATE_LIMIT_PER_SECOND: positiveInt(20),
});
export type SteamWorkerEnv = z.output<typeof steamEnv> & z.output<typeof steamWorkerEnv>;
