import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { ensureFormParser, serveCall, type CannedResponse } from '../serve-call.ts';
import { PSN_DEFAULT_AVATARS } from './psn-accounts.ts';
import { psnAdminRoutes } from './psn-admin-routes.ts';
import { authenticate, isAnswer, resolveTarget } from './psn-caller.ts';
import type { PsnIssuedTokens } from './psn-state.ts';
import { psnTrophyRoutes } from './psn-trophy-routes.ts';
import {
  PS_APP_BASIC,
  PS_APP_CLIENT_ID,
  PS_APP_REDIRECT_URI,
  PSN_BAD_CLIENT,
  PSN_INVALID_CODE,
  PSN_INVALID_REFRESH_TOKEN,
  psnApiError,
  psnApiFaults,
  psnApiJson,
  psnAuthJson,
  psnAuthorizeFaults,
  psnLoginRequiredRedirect,
  psnOAuthError,
  psnRedirect,
  psnTokenFaults,
} from './psn-wire.ts';

/** Scope strings as recorded: the refresh answer lists them in the other order. */
const CODE_GRANT_SCOPE = 'psn:mobile.v2.core psn:clientapp';
const REFRESH_SCOPE = 'psn:clientapp psn:mobile.v2.core';

const authorizeQuerySchema = z.object({
  client_id: z.string().optional(),
  redirect_uri: z.string().optional(),
  response_type: z.string().optional(),
  cid: z.string().optional(),
});

const tokenFormSchema = z.discriminatedUnion('grant_type', [
  z.object({ grant_type: z.literal('authorization_code'), code: z.string().min(1), redirect_uri: z.string().optional() }),
  z.object({ grant_type: z.literal('refresh_token'), refresh_token: z.string().min(1) }),
]);

const accountParamsSchema = z.object({ accountId: z.string().min(1) });

const npssoFromCookie = (cookie: string | undefined): string | undefined =>
  cookie
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith('npsso='))
    ?.slice('npsso='.length);


/** The token endpoint's success answer, fields in the recorded order. */
function tokenAnswer(t: PsnIssuedTokens, scope: string): CannedResponse {
  return psnAuthJson({
    access_token: t.accessToken,
    token_type: 'bearer',
    expires_in: t.expiresIn,
    scope,
    id_token: t.idToken,
    refresh_token: t.refreshToken,
    refresh_token_expires_in: t.refreshExpiresIn,
  });
}

/**
 * PSN endpoints at their real paths: the sign-in half (authorize, token), the two calls the link uses to
 * learn who signed in (trophySummary for `me`, the profile by account id) and the trophy endpoints
 * (psn-trophy-routes.ts). Every answer goes through `serveCall`, so faults and call counts work like Steam's.
 */
export const psnRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const psn = sandbox.state.psn;
  ensureFormParser(app);
  await app.register(psnAdminRoutes, { prefix: '/__sandbox/psn', sandbox });
  await app.register(psnTrophyRoutes, { sandbox });

  app.get('/api/authz/v3/oauth/authorize', (request, reply) =>
    serveCall(sandbox, reply, { endpoint: 'psn.authorize', params: {}, faults: psnAuthorizeFaults }, () => {
      const query = authorizeQuerySchema.safeParse(request.query);
      if (!query.success || query.data.client_id !== PS_APP_CLIENT_ID || query.data.response_type !== 'code' || query.data.redirect_uri !== PS_APP_REDIRECT_URI) {
        return psnRedirect(
          `https://my.account.sony.com/sonyacct/signin/?${new URLSearchParams({ error: 'invalid_request', error_code: '4097', error_description: 'Invalid request' })}`,
        );
      }
      const account = psn.accountByNpsso(npssoFromCookie(request.headers.cookie) ?? '');
      if (!account) return psnLoginRequiredRedirect();
      const code = psn.issueAuthorizationCode(account.accountId);
      return psnRedirect(`${PS_APP_REDIRECT_URI}/?${new URLSearchParams({ code, cid: query.data.cid ?? randomUUID() })}`);
    }),
  );

  app.post('/api/authz/v3/oauth/token', (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string | undefined>;
    return serveCall(sandbox, reply, { endpoint: 'psn.token', params: { grant_type: form.grant_type }, faults: psnTokenFaults }, () => {
      if (request.headers.authorization !== PS_APP_BASIC) return PSN_BAD_CLIENT();
      const parsed = tokenFormSchema.safeParse(form);
      if (!parsed.success) return psnOAuthError(400, form.grant_type ? 'invalid_request' : 'unsupported_grant_type', 'Invalid request', 4097);
      if (parsed.data.grant_type === 'authorization_code') {
        const account = psn.redeemAuthorizationCode(parsed.data.code);
        if (!account) return PSN_INVALID_CODE();
        return tokenAnswer(psn.issueTokens(account.accountId), CODE_GRANT_SCOPE);
      }
      const refreshed = psn.refresh(parsed.data.refresh_token);
      if (!refreshed) return PSN_INVALID_REFRESH_TOKEN();
      return tokenAnswer(refreshed.tokens, REFRESH_SCOPE);
    });
  });

  app.get('/api/trophy/v1/users/:accountId/trophySummary', (request, reply) => {
    const { accountId } = accountParamsSchema.parse(request.params);
    return serveCall(sandbox, reply, { endpoint: 'psn.trophySummary', params: { accountId }, faults: psnApiFaults }, () => {
      const caller = authenticate(psn, request);
      if (isAnswer(caller)) return caller;
      const target = resolveTarget(psn, caller, accountId, { privacy: true });
      if (isAnswer(target)) return target;
      // Field order as recorded (psn/trophy-summary.json); points follow the level so the numbers agree.
      const basePoint = (target.trophyLevel - 1) * 60;
      return psnApiJson({
        accountId: target.accountId,
        trophyLevel: target.trophyLevel,
        trophyPoint: basePoint + Math.round((target.progress / 100) * 60),
        trophyLevelBasePoint: basePoint,
        trophyLevelNextPoint: basePoint + 60,
        progress: target.progress,
        tier: Math.min(10, Math.floor(target.trophyLevel / 100) + 1),
        earnedTrophies: target.earnedTrophies,
      });
    });
  });

  app.get('/api/userProfile/v1/internal/users/:accountId/profiles', (request, reply) => {
    const { accountId } = accountParamsSchema.parse(request.params);
    return serveCall(sandbox, reply, { endpoint: 'psn.profile', params: { accountId }, faults: psnApiFaults }, () => {
      const caller = authenticate(psn, request);
      if (isAnswer(caller)) return caller;
      // The userProfile service does not resolve `me` (clients report 400); codes are per service — sandbox's choice.
      if (!/^\d+$/.test(accountId)) return psnApiError(400, 2281473, `Bad Request (path: accountId)`);
      const target = psn.accountById(accountId);
      if (!target) return psnApiError(404, 2281474, `User not found (accountId: ${accountId})`);
      return psnApiJson({
        onlineId: target.onlineId,
        aboutMe: target.aboutMe,
        avatars: PSN_DEFAULT_AVATARS,
        languages: ['en-US'],
        isPlus: target.isPlus,
        isOfficiallyVerified: false,
        isMe: target.accountId === caller.accountId,
      });
    });
  });
};
