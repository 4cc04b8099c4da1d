import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../../app-deps.ts';
import { registerRequestSyncRoute, type RequestSyncRouteOptions } from './request-sync-route.ts';
import { registerSyncEventsRoute } from './sync-events-route.ts';
import { registerSyncHistoryRoutes } from './sync-history-routes.ts';

export interface SyncRoutesOptions {
  deps: AppDeps;
  requestSync: RequestSyncRouteOptions;
  sseHeartbeatMs: number;
}

/** Sync requests, run status and history, live progress. All user routes. */
export const syncRoutes: FastifyPluginAsync<SyncRoutesOptions> = async (app, options) => {
  app.addHook('onRequest', app.authenticateUser);
  registerRequestSyncRoute(app, options.deps, options.requestSync);
  registerSyncHistoryRoutes(app, options.deps);
  registerSyncEventsRoute(app, options.deps, { heartbeatMs: options.sseHeartbeatMs });
};
