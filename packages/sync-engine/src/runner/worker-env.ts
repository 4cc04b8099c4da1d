import { z } from 'zod';
import { credentialsKeyEnv, databaseEnv, logEnv, redisEnv } from '@ach/config';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** What every worker process reads besides its platform's piece. */
export const workerCoreEnv = databaseEnv
  .extend(redisEnv.shape)
  .extend(logEnv.shape)
  .extend(credentialsKeyEnv.shape)
  .extend({
    /** Jobs this process runs at once. */
    WORKER_CONCURRENCY: positiveInt(4),
    /** Games fetched at once within one job. */
    SYNC_GAME_CONCURRENCY: positiveInt(4),
    /** Rows (definitions + unlocks) gathered before one write transaction. */
    SYNC_WRITE_BATCH_ROWS: positiveInt(5_000),
    /** How long SIGTERM waits for running jobs before handing them back to the queue. */
    SHUTDOWN_GRACE_MS: positiveInt(20_000),
    /** When set, a file kept fresh while Redis and Postgres answer: the container healthcheck reads its age. */
    WORKER_HEARTBEAT_FILE: z.string().min(1).optional(),
    /** How often the heartbeat checks the connections and rewrites the file. */
    WORKER_HEARTBEAT_EVERY_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  });

export type WorkerCoreEnv = z.output<typeof workerCoreEnv>;
