import { z } from 'zod';
import { credentialsKeyEnv, databaseEnv, logEnv, redisEnv, steamEnv } from '@ach/config';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const steamWorkerEnvSchema = databaseEnv
  .extend(redisEnv.shape)
  .extend(logEnv.shape)
  .extend(credentialsKeyEnv.shape)
  .extend(steamEnv.shape)
  .extend({
    // The worker cannot do anything without a key; the API may run without one, the worker may not.
    STEAM_API_KEY: z.string({ error: 'is required' }).min(1, 'is required'),
    WORKER_CONCURRENCY: positiveInt(4),
    /** Steam calls per second across ALL worker replicas (shared Redis token bucket). */
    STEAM_RATE_LIMIT_PER_SECOND: positiveInt(20),
    /** Games fetched at once within one job. */
    SYNC_GAME_CONCURRENCY: positiveInt(4),
    /** Rows (definitions + unlocks) gathered before one write transaction. */
    SYNC_WRITE_BATCH_ROWS: positiveInt(5_000),
    /** How long SIGTERM waits for running jobs before handing them back to the queue. */
    SHUTDOWN_GRACE_MS: positiveInt(20_000),
  });

export type SteamWorkerEnv = z.output<typeof steamWorkerEnvSchema>;
