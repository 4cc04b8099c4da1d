import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { subscribeSyncEvents, type SyncEvent } from '@ach/queue';
import type { AppDeps } from '../../app-deps.ts';
import { platformParams } from '../../platform-param.ts';
import { notFound, problemSchema } from '../../problem.ts';
import { findLatestRun } from '../../sync/sync-run-reads.ts';
import { TERMINAL_STATUSES, type SyncRunView } from '../../sync/sync-run-view.ts';

/** What each `data:` line of the stream carries. */
const sseEventSchema = z.object({
  syncId: z.uuid(),
  platform: z.string(),
  status: z.string(),
  progress: z.number(),
  stats: z.record(z.string(), z.unknown()).optional(),
  errorCode: z.string().nullable().optional(),
  errorMessage: z.string().nullable().optional(),
  at: z.string(),
});

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function fromView(run: SyncRunView): z.infer<typeof sseEventSchema> {
  return {
    syncId: run.syncId,
    platform: run.platform,
    status: run.status,
    progress: run.progress,
    stats: run.stats,
    errorCode: run.errorCode,
    errorMessage: run.errorMessage,
    at: run.updatedAt,
  };
}

/**
 * GET /sync/:platform/events — Server-Sent Events for the latest run: its current state first,
 * then the workers' progress events, closing once the run ends. Subscribes before reading the
 * state so no event can fall between the two; a dedicated Redis connection per stream (subscriber
 * mode takes the whole connection).
 */
export function registerSyncEventsRoute(app: FastifyInstance, deps: AppDeps, options: { heartbeatMs: number }): void {
  // Open streams never go idle, so server.close() would wait on them forever: end them first.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...openStreams]) close();
  });

  app.withTypeProvider<ZodTypeProvider>().get('/sync/:platform/events', {
    schema: {
      tags: ['sync'],
      summary: 'Server-Sent Events: progress and status of the latest run (event types: status, progress, end)',
      security: [{ bearerAuth: [] }],
      params: platformParams,
      produces: ['text/event-stream'],
      response: { 200: sseEventSchema.describe('each SSE data line'), 400: problemSchema, 401: problemSchema, 404: problemSchema },
    },
  }, async (request, reply) => {
    const { platform } = request.params;
    const userId = request.auth.id;
    const latest = () => findLatestRun(deps.db, userId, platform);
    if (!(await latest())) throw notFound(`A ${platform} sync run`);

    const subscriber = deps.createSubscriber();
    const buffered: SyncEvent[] = [];
    let deliver: (event: SyncEvent) => void = (event) => buffered.push(event);
    let unsubscribe: (() => Promise<void>) | undefined;
    try {
      unsubscribe = await subscribeSyncEvents(subscriber, deps.config.queuePrefix, userId, (event) => {
        if (event.platform === platform) deliver(event);
      });
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    const current = await latest();
    if (!current) {
      await unsubscribe().catch(() => {});
      subscriber.disconnect();
      throw notFound(`A ${platform} sync run`);
    }

    reply.hijack();
    const raw = reply.raw;
    // A hijacked reply bypasses Fastify's header writing: carry over what the onRequest hooks set
    // (request id, security headers), then the stream's own.
    raw.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });

    let closed = false;
    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), options.heartbeatMs);
    const close = () => {
      if (closed) return;
      closed = true;
      openStreams.delete(close);
      clearInterval(heartbeat);
      unsubscribe?.().catch(() => {}).finally(() => subscriber.disconnect());
      if (!raw.writableEnded) raw.end();
    };
    openStreams.add(close);
    request.raw.on('close', close);
    raw.on('close', close);

    const followedId = current.syncId;
    const finish = () => {
      raw.write(frame('end', { syncId: followedId }));
      close();
    };

    raw.write(frame('status', fromView(current)));
    if (TERMINAL_STATUSES.has(current.status)) return finish();

    deliver = (event) => {
      if (closed) return;
      // A newer run for the same platform cannot start while this one is live; ignore strays.
      if (event.syncId !== followedId) return;
      raw.write(frame(event.status === 'running' ? 'progress' : 'status', event));
      if (TERMINAL_STATUSES.has(event.status)) finish();
    };
    for (const event of buffered.splice(0)) deliver(event);
  });
}
