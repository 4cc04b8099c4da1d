import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { PLATFORM_IDS } from '@ach/db';
import type { AppDeps } from '../../app-deps.ts';
import { platformParams } from '../../platform-param.ts';
import { notFound, problemSchema } from '../../problem.ts';
import { accountColumns, accountSchema, toAccountView, type AccountRow } from './account-view.ts';
import { registerLinkAccountRoutes, type LinkRoutesOptions } from './link-account-routes.ts';
import { registerSteamOpenIdStartRoute } from './steam-openid-routes.ts';

export { steamOpenIdCallbackRoutes } from './steam-openid-routes.ts';

/** Linking, listing and unlinking platform accounts. All user routes. */
export const accountRoutes: FastifyPluginAsync<{ deps: AppDeps } & LinkRoutesOptions> = async (app, { deps, rateLimit }) => {
  app.addHook('onRequest', app.authenticateUser);
  const routes = app.withTypeProvider<ZodTypeProvider>();

  registerLinkAccountRoutes(app, deps, { rateLimit });
  registerSteamOpenIdStartRoute(app, deps, { rateLimit });

  routes.get('/accounts', {
    schema: {
      tags: ['accounts'],
      summary: 'Linked accounts (never a token), each with `verified`: whether the link proved ownership',
      security: [{ bearerAuth: [] }],
      response: { 200: z.object({ items: z.array(accountSchema) }), 401: problemSchema },
    },
  }, async (request) => {
    const { rows } = await sql<AccountRow>`
      select ${accountColumns} from platform_accounts where user_id = ${request.auth.id}::uuid order by platform_id`.execute(deps.db);
    return { items: rows.map(toAccountView) };
  });

  routes.delete('/accounts/:platform', {
    config: { rateLimit },
    schema: {
      tags: ['accounts'],
      summary: 'Unlink: deletes the account row and its stored credentials; cancels a queued run',
      security: [{ bearerAuth: [] }],
      params: platformParams,
      response: { 204: z.undefined(), 400: problemSchema, 401: problemSchema, 404: problemSchema },
    },
  }, async (request, reply) => {
    const platformId = PLATFORM_IDS[request.params.platform];
    const deleted = await deps.db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ user_id: string }>`
        delete from platform_accounts where user_id = ${request.auth.id}::uuid and platform_id = ${platformId}::smallint
        returning user_id`.execute(tx);
      if (rows.length === 0) return false;
      // A queued run would only fail on the missing account; a running one finishes or fails by itself.
      await sql`
        update sync_logs set status = 'cancelled', error_code = 'account_unlinked', finished_at = now()
         where user_id = ${request.auth.id}::uuid and platform_id = ${platformId}::smallint and status = 'queued'`.execute(tx);
      return true;
    });
    if (!deleted) throw notFound(`A linked ${request.params.platform} account`);
    return reply.code(204).send();
  });
};
