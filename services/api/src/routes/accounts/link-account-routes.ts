import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../app-deps.ts';
import { platformErrorToProblem } from '../../linking/platform-error-problem.ts';
import { linkAccountOperationId } from '../../api-docs/operation-ids.ts';
import { JSON_BODY_PROBLEMS, problemResponses, RATE_LIMITED, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { storeLinkedAccount } from '../../linking/store-linked-account.ts';
import { accountSchema, toAccountView } from './account-view.ts';

const linkResponses = {
  200: accountSchema,
  ...problemResponses(USER_ROUTE_PROBLEMS, JSON_BODY_PROBLEMS, RATE_LIMITED, {
    409: [
      '`profile_missing`: the caller has no public.users row yet; call POST /users/sync first',
      '`ownership_claimed`: another user has proven they own this account',
    ],
    422: [
      '`invalid_credentials` (or a more specific code such as `xbox_child_account`): the platform rejected the credential',
      '`profile_private`: the profile or its game details are not public',
      '`account_not_found` (`invalid_steam_id` for a malformed one): no such account',
    ],
    429: ['`platform_rate_limited`: the platform is throttling us; retry after `Retry-After`'],
    502: ['`platform_unavailable`, `platform_malformed_response`: the platform failed or answered something unexpected'],
    503: ['`platform_misconfigured`: linking this platform is not configured on this server'],
  }),
};

export interface LinkRoutesOptions {
  rateLimit: { max: number; timeWindow: number; groupId: string };
}

/**
 * PUT /accounts/<slug>, one per platform module with `linking`: the body passes the module's schema,
 * the platform proves the account, we seal whatever tokens it handed back (bound to user +
 * platform) and upsert the row — verified when the module's link proves ownership (PSN, Xbox: tokens
 * only the owner gets), not for a typed Steam id. A token is never logged, returned or put in a job.
 */
export function registerLinkAccountRoutes(app: FastifyInstance, deps: AppDeps, options: LinkRoutesOptions): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const config = { rateLimit: options.rateLimit };

  for (const platform of deps.platforms.modules) {
    const linking = platform.linking;
    if (!linking) continue;
    routes.put(`/accounts/${platform.slug}`, {
      config,
      schema: {
        tags: ['accounts'],
        security: [{ bearerAuth: [] }],
        operationId: linkAccountOperationId(platform.slug),
        summary: linking.summary,
        body: linking.bodySchema,
        response: linkResponses,
      },
    }, async (request) => {
      let account;
      try {
        account = await deps.linking.link(platform.slug, request.body);
      } catch (error) {
        throw platformErrorToProblem(error);
      }
      return toAccountView(await storeLinkedAccount(deps, { userId: request.auth.id, platform, account, verified: linking.provesOwnership }), deps.platforms);
    });
  }
}
