import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../../app-deps.ts';
import { createClientSyncMetrics } from './client-sync-metrics.ts';
import { registerPullRoute } from './pull-route.ts';
import { registerPushRoute } from './push-route.ts';

export interface ClientSyncRoutesOptions {
  deps: AppDeps;
  /** Per-user budget shared by both routes (a sync is a pull and, with local changes, a push). */
  rateLimit: { max: number; timeWindow: number };
  /** Largest push body accepted (bytes); larger → 413. */
  pushBodyLimit: number;
}

/** The mobile app's WatermelonDB sync: POST /sync-pull and POST /sync-push. User routes. */
export const clientSyncRoutes: FastifyPluginAsync<ClientSyncRoutesOptions> = async (app, options) => {
  app.addHook('onRequest', app.authenticateUser);
  const metrics = createClientSyncMetrics(app.metricsRegistry);
  const rateLimit = { ...options.rateLimit, groupId: 'client-sync' };
  registerPullRoute(app, options.deps, { rateLimit, metrics });
  registerPushRoute(app, options.deps, { rateLimit, metrics, bodyLimit: options.pushBodyLimit });
};
