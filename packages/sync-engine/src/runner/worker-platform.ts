import type { RedisClient } from '@ach/queue';
import type { z } from 'zod';
import type { Logger } from '@ach/observability';
import type { PlatformCall } from '@ach/platform-clients';
import type { PlatformAdapter, PlatformIdentity } from '../adapter/platform-adapter.ts';
import type { RateLimiter } from '../rate-limit/redis-token-bucket.ts';

/** How the process around a client watches and paces its calls. */
export interface ClientHooks {
  /** Awaited before every call: where the shared Redis rate limiter plugs in. */
  beforeCall?: (endpoint: string) => Promise<void>;
  /** Told about every finished call (per-job API call counts). */
  onCall?: (call: PlatformCall) => void;
  /** Per request; linking keeps it short because a user is waiting. */
  timeoutMs?: number;
}

export interface AdapterDeps<WorkerEnv, Client> {
  /** The platform itself (its module): the adapter reports it as its `platform`. */
  platform: PlatformIdentity;
  env: WorkerEnv;
  client: Client;
  log: Logger;
  /**
   * The module's own `workerLimiter` (the one wired into the client's `beforeCall`), when it has one:
   * a keyed limiter (`createKeyedRateLimiter`) needs the adapter to name the key around its calls.
   */
  limiter?: RateLimiter;
}

/**
 * What `runWorkerProcess` needs from a platform: the worker-facing part of a platform module
 * (@ach/platform-registry's `PlatformModule` extends it; the engine cannot import the registry, which
 * depends on it). `Env` is what `env` parses to, `WorkerEnv` what `env` + `workerEnv` parse to.
 * Method syntax on purpose: a module with concrete types fits the default `WorkerPlatform`.
 */
export interface WorkerPlatform<Env = unknown, Client = unknown, WorkerEnv = Env> extends PlatformIdentity {
  /** Its BullMQ queue: `syncQueueName(slug)`. */
  readonly queueName: string;
  /** Its environment variables (base URLs, keys), shared with the API. */
  readonly env: z.ZodObject;
  /** What only the worker needs on top of `env` (e.g. a key the API may lack, the shared rate limit). */
  readonly workerEnv?: z.ZodObject;
  /** The platform's HTTP client, wired to `hooks`. */
  createClient(env: Env, hooks: ClientHooks): Client;
  /** The engine's view of the platform; absent → the worker consumes nothing yet (its jobs wait in the queue). */
  createAdapter?(deps: AdapterDeps<WorkerEnv, Client>): PlatformAdapter;
  /**
   * The Redis limiter every replica shares; absent → calls are not paced. A platform-wide token
   * bucket (`createRedisTokenBucket`), or a keyed window limiter (`createKeyedRateLimiter` over
   * `createRedisWindowLimiter`) whose key the adapter names per call.
   */
  workerLimiter?(deps: { env: WorkerEnv; redis: RedisClient; prefix: string }): RateLimiter;
}
