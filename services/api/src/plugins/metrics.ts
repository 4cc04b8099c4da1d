import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge, Histogram, Registry } from 'prom-client';
import { secretsEqual } from '@ach/crypto';
import type { SyncQueues } from '@ach/queue';
import { ProblemError } from '../problem.ts';
import { withinDeadline } from '@ach/runtime';

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

const QUEUE_STATES = ['waiting', 'active', 'failed', 'delayed'] as const;
const QUEUE_COUNT_TIMEOUT_MS = 1_000;
/** Prometheus scrapes every 15–60 s; a few seconds of staleness costs nothing and caps Redis load. */
const DEFAULT_QUEUE_COUNTS_TTL_MS = 5_000;

type QueueCounts = Partial<Record<(typeof QUEUE_STATES)[number], number>>;

export interface MetricsOptions {
  /** One per registered platform (`createSyncQueues(platforms.slugs, …)`): the `queue` label's values. */
  queues: SyncQueues;
  /** How long one reading of the queue counts serves scrapes (default 5 s; 0 reads on every scrape). */
  queueCountsTtlMs?: number;
}

/**
 * A registry per app instance (tests build many apps in one process). Queue depths are read on
 * scrape, not polled, at most once per `queueCountsTtlMs` whatever the number of scrapers (a
 * scrape storm must not become a Redis storm: concurrent scrapes share one reading too), and a
 * reading never waits on an unreachable Redis for more than a second.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: MetricsOptions) => {
    const registry = new Registry();
    const ttlMs = options.queueCountsTtlMs ?? DEFAULT_QUEUE_COUNTS_TTL_MS;

    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });

    /** One reading: each queue's counts, or undefined for a queue Redis did not answer for. Never rejects. */
    const readQueueCounts = () =>
      Promise.all(
        Object.values(options.queues).map(async (queue): Promise<[string, QueueCounts | undefined]> => {
          try {
            return [queue.name, await withinDeadline(queue.getJobCounts(...QUEUE_STATES), QUEUE_COUNT_TIMEOUT_MS)];
          } catch {
            return [queue.name, undefined];
          }
        }),
      );
    let reading: { expiresAt: number; counts: ReturnType<typeof readQueueCounts> } | undefined;
    const queueCounts = () => {
      const now = Date.now();
      if (!reading || now >= reading.expiresAt) reading = { expiresAt: now + ttlMs, counts: readQueueCounts() };
      return reading.counts;
    };

    new Gauge({
      name: 'sync_queue_jobs',
      help: `Jobs per sync queue and state, read on scrape (cached ${ttlMs} ms)`,
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        const counts = await queueCounts();
        this.reset();
        for (const [queue, stateCounts] of counts) {
          // Redis away: the series disappear for this scrape, which alerting reads as "unknown".
          if (!stateCounts) continue;
          for (const state of QUEUE_STATES) this.set({ queue, state }, stateCounts[state] ?? 0);
        }
      },
    });

    app.decorate('metricsRegistry', registry);
    app.addHook('onResponse', async (request, reply) => {
      // Label by route pattern, never by raw URL: unbounded label values would eat the registry.
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  },
  { name: 'metrics' },
);

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * onRequest guard for `/metrics`: without `token` the route is public (the default; typically
 * reachable on an internal network only); with it, only `Authorization: Bearer <token>` passes,
 * compared in constant time.
 */
export function metricsAccess(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  const challenge = { 'www-authenticate': 'Bearer realm="metrics"' };
  return async (request) => {
    if (!token) return;
    const header = request.headers.authorization;
    if (!header) throw new ProblemError(401, 'missing_token', 'An Authorization: Bearer <METRICS_TOKEN> header is required', { headers: challenge });
    const presented = BEARER.exec(header)?.[1];
    if (!presented || !secretsEqual(presented, token)) {
      throw new ProblemError(401, 'invalid_token', 'The metrics token is not valid', { headers: { 'www-authenticate': 'Bearer realm="metrics", error="invalid_token"' } });
    }
  };
}
