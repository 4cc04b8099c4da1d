import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../../app-deps.ts';
import { createOpenStreamSlots } from '../../live-progress/open-stream-slots.ts';
import { createSyncEventHub } from '../../live-progress/sync-event-hub.ts';
import { registerRequestSyncRoute, type RequestSyncRouteOptions } from './request-sync-route.ts';
import { registerSyncEventsRoute } from './sync-events-route.ts';
import { registerSyncHistoryRoutes } from './sync-history-routes.ts';

export interface SyncEventsOptions {
  heartbeatMs: number;
  maxStreamsPerUser: number;
  maxStreamLifetimeMs: number;
  rateLimit: { max: number; timeWindow: number };
}

export interface SyncRoutesOptions {
  deps: AppDeps;
  requestSync: RequestSyncRouteOptions;
  events: SyncEventsOptions;
}

/** Sync requests, run status and history, live progress. All user routes. */
export const syncRoutes: FastifyPluginAsync<SyncRoutesOptions> = async (app, options) => {
  const { deps, events } = options;
  app.addHook('onRequest', app.authenticateUser);
  registerRequestSyncRoute(app, deps, options.requestSync);
  registerSyncHistoryRoutes(app, deps);

  // One per app, closed with it (after preClose has ended the open streams).
  const hub = createSyncEventHub({ createSubscriber: deps.createSubscriber, prefix: deps.config.queuePrefix, log: deps.log });
  app.addHook('onClose', async () => hub.close());
  const slots = createOpenStreamSlots(deps.redis, {
    prefix: deps.config.queuePrefix,
    maxPerUser: events.maxStreamsPerUser,
    streamLifetimeMs: events.maxStreamLifetimeMs,
  });
  registerSyncEventsRoute(app, deps, {
    heartbeatMs: events.heartbeatMs,
    maxStreamLifetimeMs: events.maxStreamLifetimeMs,
    rateLimit: events.rateLimit,
    hub,
    slots,
  });
};
