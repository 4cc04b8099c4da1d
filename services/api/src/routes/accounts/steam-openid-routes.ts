import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createUserRepository } from '@ach/accounts';
import { isPlatformError, SteamOpenIdRejectedError, type SteamOpenIdRejectReason } from '@ach/platform-clients';
import type { AppDeps } from '../../app-deps.ts';
import type { SteamOpenIdLinking } from '../../linking/account-linking.ts';
import { platformErrorToProblem } from '../../linking/platform-error-problem.ts';
import { createSteamOpenIdStore, steamOpenIdStateSchema, type SteamOpenIdStore } from '../../linking/steam-openid-store.ts';
import { storeLinkedAccount } from '../../linking/store-linked-account.ts';
import { asPageResponses, problemResponses, RATE_LIMITED, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { ProblemError } from '../../problem.ts';
import { accountSchema, toAccountView } from './account-view.ts';
import { sendPageProblem, sendPageSuccess } from './browser-result-page.ts';

export const STEAM_OPENID_CALLBACK_PATH = '/accounts/steam/openid/callback';

const callbackUrl = (publicBaseUrl: string, state: string) => `${publicBaseUrl}${STEAM_OPENID_CALLBACK_PATH}?state=${state}`;

const unavailable = (cause: unknown) =>
  new ProblemError(503, 'service_unavailable', 'Steam sign-in is unavailable right now; try again shortly', { headers: { 'retry-after': '5' }, cause });

const stateInvalid = () =>
  new ProblemError(400, 'openid_state_invalid', 'This sign-in link is unknown, expired or already used; start the Steam sign-in again from the app');

/** What the user reads for each refusal; the reason itself goes along as a problem extension. */
const REJECTION_DETAIL: Record<SteamOpenIdRejectReason, string> = {
  cancelled: 'The Steam sign-in was cancelled; nothing was linked',
  malformed: 'This is not a valid Steam sign-in response; start the Steam sign-in again from the app',
  wrong_provider: 'This sign-in response does not come from Steam; start the Steam sign-in again from the app',
  return_to_mismatch: 'This Steam sign-in response belongs to another sign-in; start the Steam sign-in again from the app',
  stale_nonce: 'This Steam sign-in response is too old; start the Steam sign-in again from the app',
  nonce_reused: 'This Steam sign-in response was already used; start the Steam sign-in again from the app',
  not_confirmed: 'Steam did not confirm this sign-in; start the Steam sign-in again from the app',
};

function configured(deps: AppDeps): { openid: SteamOpenIdLinking; publicBaseUrl: string } {
  const openid = deps.linking.steamOpenId;
  const publicBaseUrl = deps.config.publicBaseUrl;
  if (!openid || !publicBaseUrl) {
    throw new ProblemError(503, 'platform_misconfigured', 'Steam sign-in is not configured on this server');
  }
  return { openid, publicBaseUrl };
}

/**
 * POST /accounts/steam/openid (user): a one-time state bound to the caller, and the Steam sign-in
 * page to open with it. Registered inside the authenticated accounts plugin.
 */
export function registerSteamOpenIdStartRoute(
  app: FastifyInstance,
  deps: AppDeps,
  options: { rateLimit: { max: number; timeWindow: number; groupId: string } },
): void {
  const store = createSteamOpenIdStore(deps.redis, deps.config.queuePrefix);
  const users = createUserRepository(deps.db);
  app.withTypeProvider<ZodTypeProvider>().post('/accounts/steam/openid', {
    config: { rateLimit: options.rateLimit },
    schema: {
      operationId: 'startSteamSignIn',
      tags: ['accounts'],
      summary: 'Start a Steam sign-in (OpenID 2.0) that proves ownership: open `url` in a browser; Steam returns to the callback, which links the account as verified',
      security: [{ bearerAuth: [] }],
      response: {
        200: z.object({ url: z.url() }),
        ...problemResponses(USER_ROUTE_PROBLEMS, RATE_LIMITED, {
          409: ['`profile_missing`: the caller has no public.users row yet; call POST /users/sync first'],
          503: [
            '`platform_misconfigured`: Steam sign-in is not configured on this server',
            '`service_unavailable`: Steam sign-in is unavailable right now; retry after `Retry-After`',
          ],
        }),
      },
    },
  }, async (request) => {
    const { openid, publicBaseUrl } = configured(deps);
    if (!(await users.profileExists(request.auth.id))) throw new ProblemError(409, 'profile_missing', 'Your user profile does not exist yet; call POST /users/sync first');
    const state = await store.issueState(request.auth.id).catch((error: unknown) => {
      throw unavailable(error);
    });
    return { url: openid.loginUrl({ returnTo: callbackUrl(publicBaseUrl, state), realm: publicBaseUrl }) };
  });
}

/**
 * GET /accounts/steam/openid/callback: where Steam sends the browser back. No bearer token — the
 * one-time state in the return URL is the binding to the user. The assertion is checked locally
 * (return URL incl. state, provider, claimed id, nonce age), its nonce is claimed once, and Steam
 * confirms it (check_authentication); then the account is linked as verified. Answers a small HTML
 * page (problem+json / JSON to a client that asks only for JSON); never a 500.
 */
export const steamOpenIdCallbackRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const store: SteamOpenIdStore = createSteamOpenIdStore(deps.redis, deps.config.queuePrefix);

  async function complete(query: Record<string, unknown>) {
    const state = steamOpenIdStateSchema.safeParse(query.state);
    if (!state.success) throw stateInvalid();
    const userId = await store.consumeState(state.data).catch((error: unknown) => {
      throw unavailable(error);
    });
    if (!userId) throw stateInvalid();
    const { openid, publicBaseUrl } = configured(deps);

    const assertion = openid.parseAssertion(query, { returnTo: callbackUrl(publicBaseUrl, state.data) });
    const first = await store.claimNonce(assertion.fields['openid.op_endpoint']!, assertion.responseNonce).catch((error: unknown) => {
      throw unavailable(error);
    });
    if (!first) throw new SteamOpenIdRejectedError('nonce_reused', 'openid.response_nonce was already used');
    await openid.checkAuthentication(assertion);

    const account = await openid.profile(assertion.steamId);
    const row = await storeLinkedAccount(deps, { userId, platform: deps.platforms.bySlug('steam'), account, verified: true });
    app.log.info({ userId, steamId: assertion.steamId }, 'steam ownership verified');
    return toAccountView(row, deps.platforms);
  }

  function toProblem(error: unknown): ProblemError {
    if (error instanceof SteamOpenIdRejectedError) {
      return new ProblemError(400, error.code, REJECTION_DETAIL[error.reason], { extra: { reason: error.reason }, cause: error });
    }
    if (error instanceof ProblemError) return error;
    if (isPlatformError(error)) {
      const problem = platformErrorToProblem(error);
      if (problem instanceof ProblemError) return problem;
    }
    return unavailable(error);
  }

  app.get(STEAM_OPENID_CALLBACK_PATH, {
    schema: {
      operationId: 'completeSteamSignIn',
      tags: ['accounts'],
      summary: 'Steam sign-in callback (no bearer token; the one-time `state` binds it): verifies the assertion with Steam and links the account as verified',
      description:
        'Answers a small HTML page for the browser: 200 when linked; 400 `openid_state_invalid` / `openid_assertion_invalid` / `openid_cancelled`, ' +
        '409 `ownership_claimed` (another user verified this Steam account) or `profile_missing`, 422/429/502/503 as for PUT /accounts/steam. ' +
        'A client sending `Accept: application/json` gets the linked account as JSON and errors as application/problem+json.',
      // No bearer token: the browser comes back from Steam; the one-time `state` is the binding.
      security: [],
      response: {
        200: {
          description: 'Linked and verified',
          content: { 'text/html': { schema: z.string().describe('A minimal HTML page saying so') }, 'application/json': { schema: accountSchema } },
        },
        ...asPageResponses(problemResponses({
          400: [
            '`openid_state_invalid`: the sign-in link is unknown, expired or already used',
            '`openid_cancelled`: the user cancelled the Steam sign-in',
            '`openid_assertion_invalid` (with `reason`: `malformed`, `wrong_provider`, `return_to_mismatch`, `stale_nonce`, `nonce_reused`, `not_confirmed`): not a valid Steam sign-in response',
          ],
          409: [
            '`ownership_claimed`: another user has proven they own this Steam account',
            '`profile_missing`: the user has no public.users row yet',
          ],
          422: ['`profile_private`, `account_not_found`: the Steam profile could not be read'],
          429: ['`platform_rate_limited`: Steam is throttling us; retry after `Retry-After`'],
          502: ['`platform_unavailable`, `platform_malformed_response`: Steam failed or answered something unexpected'],
          503: [
            '`platform_misconfigured`: Steam sign-in is not configured on this server',
            '`service_unavailable`: Redis or Postgres is unreachable; retry after `Retry-After`',
          ],
        })),
      },
    },
  }, async (request, reply) => {
    try {
      const account = await complete((request.query ?? {}) as Record<string, unknown>);
      const name = account.displayName ? ` as ${account.displayName}` : '';
      return sendPageSuccess(request, reply, {
        title: 'Steam account linked',
        message: `Your Steam account is linked and verified${name}. You can close this window and return to the app.`,
        json: account,
      });
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status >= 500) request.log.warn({ code: problem.code, err: problem.cause ?? problem }, 'steam sign-in failed');
      return sendPageProblem(request, reply, 'Steam account not linked', problem);
    }
  });
};
