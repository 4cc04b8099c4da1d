import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '@ach/db';
import type { AppDeps } from '../../app-deps.ts';
import type { LinkedAccount } from '../../linking/account-linking.ts';
import { platformErrorToProblem } from '../../linking/platform-error-problem.ts';
import { problemSchema } from '../../problem.ts';
import { storeLinkedAccount } from '../../linking/store-linked-account.ts';
import { accountSchema, toAccountView } from './account-view.ts';

const psnBody = z.strictObject({ npsso: z.string().trim().min(10).max(512) });
const xboxBody = z.strictObject({ refreshToken: z.string().trim().min(10).max(8192) });
/** One object with both optional fields (not a union) so a 400 names the offending field. */
const steamBody = z
  .strictObject({
    steamId: z.string().regex(/^7656119\d{10}$/, 'must be a SteamID64 (17 digits, 7656119…)').optional(),
    vanity: z.string().min(2).max(32).regex(/^[A-Za-z0-9_-]+$/, 'must be a Steam custom URL name').optional(),
  })
  .refine((body) => (body.steamId === undefined) !== (body.vanity === undefined), {
    message: 'give exactly one of steamId or vanity',
    path: ['steamId'],
  });

const linkResponses = {
  200: accountSchema,
  400: problemSchema, 401: problemSchema, 409: problemSchema, 422: problemSchema, 429: problemSchema, 502: problemSchema, 503: problemSchema,
};

export interface LinkRoutesOptions {
  rateLimit: { max: number; timeWindow: number; groupId: string };
}

/**
 * PUT /accounts/{psn,xbox,steam}: the platform proves the account, we seal whatever tokens it
 * handed back (bound to user + platform) and upsert the row. A token is never logged, returned
 * or put in a job.
 */
export function registerLinkAccountRoutes(app: FastifyInstance, deps: AppDeps, options: LinkRoutesOptions): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  /** PSN and Xbox hand over tokens only to the account's owner: those links prove ownership; a typed Steam id does not. */
  async function link(userId: string, platform: Platform, run: () => Promise<LinkedAccount>) {
    let account: LinkedAccount;
    try {
      account = await run();
    } catch (error) {
      throw platformErrorToProblem(error);
    }
    return toAccountView(await storeLinkedAccount(deps, { userId, platform, account, verified: platform !== 'steam' }));
  }

  const common = { tags: ['accounts'], security: [{ bearerAuth: [] }], response: linkResponses };
  const config = { rateLimit: options.rateLimit };

  routes.put('/accounts/psn', {
    config,
    schema: { ...common, summary: 'Link PSN: exchange an NPSSO for tokens, store them encrypted', body: psnBody },
  }, async (request) => link(request.auth.id, 'psn', () => deps.linking.psn({ npsso: request.body.npsso })));

  routes.put('/accounts/xbox', {
    config,
    schema: { ...common, summary: 'Link Xbox: Microsoft refresh token → user token → XSTS, stored encrypted', body: xboxBody },
  }, async (request) => link(request.auth.id, 'xbox', () => deps.linking.xbox({ refreshToken: request.body.refreshToken })));

  routes.put('/accounts/steam', {
    config,
    schema: {
      ...common,
      summary: 'Link Steam by SteamID64 or custom URL name (unverified; POST /accounts/steam/openid proves ownership); the profile must be public',
      body: steamBody,
    },
  }, async (request) => {
    const { steamId, vanity } = request.body;
    return link(request.auth.id, 'steam', () => deps.linking.steam(steamId ? { steamId } : { vanity: vanity! }));
  });
}
