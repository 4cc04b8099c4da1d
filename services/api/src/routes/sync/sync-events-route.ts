import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SyncEvent } from '@ach/queue';
import type { AppDeps } from '../../app-deps.ts';
import type { OpenStreamSlots } from '../../live-progress/open-stream-slots.ts';
import { trackStreamResources } from '../../live-progress/stream-resources.ts';
import type { SyncEventHub } from '../../live-progress/sync-event-hub.ts';
import { platformParamsFor } from '../../platform-param.ts';
import { problemResponses, RATE_LIMITED, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { notFound, ProblemError } from '../../problem.ts';
import { findLatestRun } from '../../sync/sync-run-reads.ts';
import { TERMINAL_STATUSES, type SyncRunView } from '../../sync/sync-run-view.ts';
import { withinDeadline } from '@ach/runtime';

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

/** How long a client should wait before opening the stream again (the SSE `retry:` field). */
const RECONNECT_AFTER_MS = 1_000;
/** The stream is over but the run may not be: open it again (after its lifetime, or on shutdown). */
function reconnectFrame(reason: 'max_lifetime' | 'shutdown'): string {
  return `retry: ${RECONNECT_AFTER_MS}\n${frame('reconnect', { reason })}`;
}

/** Redis answers SUBSCRIBE in milliseconds; longer means it is away, and a client must not hang. */
const SUBSCRIBE_TIMEOUT_MS = 2_000;

const eventsUnavailable = (cause: unknown) =>
  new ProblemError(503, 'queue_unavailable', 'Live progress is unavailable right now; try again shortly', { headers: { 'retry-after': '5' }, cause });

const tooManyStreams = (max: number, retryAfterSeconds: number) =>
  new ProblemError(429, 'too_many_streams', `At most ${max} progress streams may be open per user; close one first`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });

/** The client left (or the app is closing) before the stream started: nothing to answer. */
function abandon(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.destroy();
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

export interface SyncEventsRouteOptions {
  heartbeatMs: number;
  /** A stream ends with a `reconnect` event after this long; the client opens a new one. */
  maxStreamLifetimeMs: number;
  hub: SyncEventHub;
  slots: OpenStreamSlots;
  rateLimit: { max: number; timeWindow: number };
}

/**
 * GET /sync/:platform/events — Server-Sent Events for the latest run: its current state first,
 * then the workers' progress events, closing once the run ends. Events arrive through the
 * process's one shared subscriber (live-progress/sync-event-hub.ts); the stream subscribes before
 * reading the state a second time, so no event can fall between the two. A run that already
 * ended is answered from the database alone. Each stream takes one of the user's open-stream
 * slots (counted in Redis across replicas) and lives at most `maxStreamLifetimeMs`.
 */
export function registerSyncEventsRoute(app: FastifyInstance, deps: AppDeps, options: SyncEventsRouteOptions): void {
  // Open streams never go idle, so server.close() would wait on them forever: end them first.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...openStreams]) close();
  });

  app.withTypeProvider<ZodTypeProvider>().get('/sync/:platform/events', {
    config: { rateLimit: options.rateLimit },
    schema: {
      operationId: 'streamSyncEvents',
      tags: ['sync'],
      summary: 'Server-Sent Events: progress and status of the latest run (event types: status, progress, end, reconnect)',
      description:
        '`end`: the run is over, do not reconnect. `reconnect`: the stream reached its maximum lifetime (or the server is shutting down); open it again after the `retry` delay.',
      security: [{ bearerAuth: [] }],
      params: platformParamsFor(deps.platforms),
      produces: ['text/event-stream'],
      response: {
        200: sseEventSchema.describe('each SSE data line'),
        ...problemResponses(USER_ROUTE_PROBLEMS, RATE_LIMITED, {
          404: ['`not_found`: no run of this platform yet'],
          429: ['`too_many_streams`: the user already has the maximum number of streams open; retry after `Retry-After`'],
          503: ['`queue_unavailable`: live progress is unavailable right now; retry after `Retry-After`'],
        }),
      },
    },
  }, async (request, reply) => {
    const { platform } = request.params;
    const userId = request.auth.id;
    const raw = reply.raw;
    // Before the first await: from here on, whatever the set-up acquires is released when the
    // client goes, at whichever await it happens to be.
    const stream = trackStreamResources(raw);
    let streaming = false;
    const endOnAppClose = () => {
      if (streaming && !raw.writableEnded) raw.write(reconnectFrame('shutdown'));
      stream.release();
    };
    openStreams.add(endOnAppClose);
    stream.hold(() => openStreams.delete(endOnAppClose));

    const startStreaming = () => {
      reply.hijack();
      // A hijacked reply bypasses Fastify's header writing: carry over what the onRequest hooks set
      // (request id, security headers), then the stream's own.
      raw.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      streaming = true;
      stream.hold(() => {
        if (!raw.writableEnded) raw.end();
      });
    };

    try {
      const first = await findLatestRun(deps, userId, platform);
      if (stream.released) return abandon(reply);
      if (!first) throw notFound(`A ${platform} sync run`);
      // Nothing more will happen to a run that ended: no slot, no subscription.
      if (TERMINAL_STATUSES.has(first.status)) {
        startStreaming();
        raw.write(frame('status', fromView(first)));
        raw.write(frame('end', { syncId: first.syncId }));
        return stream.release();
      }

      const streamId = randomUUID();
      stream.hold(() => void options.slots.release(userId, streamId));
      const slot = await options.slots.acquire(userId, streamId).catch((error: unknown) => {
        throw eventsUnavailable(error);
      });
      if (stream.released) return abandon(reply);
      if (!slot.granted) throw tooManyStreams(options.slots.maxPerUser, slot.retryAfterSeconds);

      const buffered: SyncEvent[] = [];
      let deliver: (event: SyncEvent) => void = (event) => buffered.push(event);
      const listener = options.hub.listen(userId, (event) => {
        if (event.platform === platform) deliver(event);
      });
      stream.hold(listener.stop);
      await withinDeadline(listener.ready, SUBSCRIBE_TIMEOUT_MS, 'subscribing to sync events').catch((error: unknown) => {
        throw eventsUnavailable(error);
      });
      if (stream.released) return abandon(reply);
      const current = await findLatestRun(deps, userId, platform);
      if (stream.released) return abandon(reply);
      if (!current) throw notFound(`A ${platform} sync run`);

      startStreaming();
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), options.heartbeatMs);
      stream.hold(() => clearInterval(heartbeat));
      const lifetime = setTimeout(() => {
        raw.write(reconnectFrame('max_lifetime'));
        stream.release();
      }, options.maxStreamLifetimeMs);
      stream.hold(() => clearTimeout(lifetime));

      const followedId = current.syncId;
      const finish = () => {
        raw.write(frame('end', { syncId: followedId }));
        stream.release();
      };

      raw.write(frame('status', fromView(current)));
      if (TERMINAL_STATUSES.has(current.status)) return finish();

      deliver = (event) => {
        if (stream.released) return;
        // A newer run for the same platform cannot start while this one is live; ignore strays.
        if (event.syncId !== followedId) return;
        raw.write(frame(event.status === 'running' ? 'progress' : 'status', event));
        if (TERMINAL_STATUSES.has(event.status)) finish();
      };
      for (const event of buffered.splice(0)) deliver(event);
    } catch (error) {
      stream.release();
      throw error;
    }
  });
}
