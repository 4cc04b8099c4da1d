import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge, Histogram, Registry } from 'prom-client';
import { PLATFORMS } from '@ach/db';
import type { SyncQueues } from '@ach/queue';
import { withinDeadline } from '../within-deadline.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

const QUEUE_STATES = ['waiting', 'active', 'failed', 'delayed'] as const;
const QUEUE_COUNT_TIMEOUT_MS = 1_000;

/**
 * A registry per app instance (tests build many apps in one process). Queue depths are read on
 * scrape, not polled, and a scrape never waits on an unreachable Redis for more than a second.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { queues: SyncQueues }) => {
    const registry = new Registry();

    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });

    new Gauge({
      name: 'sync_queue_jobs',
      help: 'Jobs per sync queue and state, read on scrape',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        await Promise.all(
          PLATFORMS.map(async (platform) => {
            const queue = options.queues[platform];
            try {
              const counts = await withinDeadline(queue.getJobCounts(...QUEUE_STATES), QUEUE_COUNT_TIMEOUT_MS);
              for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
            } catch {
              // Redis away: the series disappear for this scrape, which alerting reads as "unknown".
            }
          }),
        );
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
