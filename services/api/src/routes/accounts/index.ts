import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createPlatformAccountRepository } from '@ach/accounts';
import { unlinkAccount } from '@ach/sync-runs';
import type { AppDeps } from '../../app-deps.ts';
import { platformParamsFor } from '../../platform-param.ts';
import { problemResponses, RATE_LIMITED, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { notFound } from '../../problem.ts';
import { accountSchema, toAccountView } from './account-view.ts';
import { registerLinkAccountRoutes, type LinkRoutesOptions } from './link-account-routes.ts';
import { registerSteamOpenIdStartRoute } from './steam-openid-routes.ts';

export { steamOpenIdCallbackRoutes } from './steam-openid-routes.ts';

/** Linking, listing and unlinking platform accounts. All user routes. */
export const accountRoutes: FastifyPluginAsync<{ deps: AppDeps } & LinkRoutesOptions> = async (app, { deps, rateLimit }) => {
  app.addHook('onRequest', app.authenticateUser);
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const accounts = createPlatformAccountRepository(deps.db);

  registerLinkAccountRoutes(app, deps, { rateLimit });
  // Steam sign-in is a browser flow of the Steam platform, not a module's link function.
  if (deps.platforms.has('steam')) registerSteamOpenIdStartRoute(app, deps, { rateLimit });

  routes.get('/accounts', {
    schema: {
      operationId: 'listAccounts',
      tags: ['accounts'],
      summary: 'Linked accounts (never a token), each with `verified`: whether the link proved ownership',
      security: [{ bearerAuth: [] }],
      response: { 200: z.object({ items: z.array(accountSchema) }), ...problemResponses(USER_ROUTE_PROBLEMS) },
    },
  }, async (request) => {
    const rows = await accounts.listForUser(request.auth.id);
    // A row of a platform this server does not run (a retired one) is not shown.
    return { items: rows.filter((row) => deps.platforms.ids.includes(row.platform_id)).map((row) => toAccountView(row, deps.platforms)) };
  });

  routes.delete('/accounts/:platform', {
    config: { rateLimit },
    schema: {
      operationId: 'unlinkAccount',
      tags: ['accounts'],
      summary: 'Unlink: deletes the account row and its stored credentials; cancels a queued run',
      security: [{ bearerAuth: [] }],
      params: platformParamsFor(deps.platforms),
      response: {
        204: z.undefined().describe('Unlinked'),
        ...problemResponses(USER_ROUTE_PROBLEMS, RATE_LIMITED, { 404: ['`not_found`: no account of this platform is linked'] }),
      },
    },
  }, async (request, reply) => {
    const platformId = deps.platforms.bySlug(request.params.platform).id;
    // Its queued run is cancelled with it (a running one finishes or fails by itself).
    const deleted = await unlinkAccount(deps.db, request.auth.id, platformId);
    if (!deleted) throw notFound(`A linked ${request.params.platform} account`);
    return reply.code(204).send();
  });
};
