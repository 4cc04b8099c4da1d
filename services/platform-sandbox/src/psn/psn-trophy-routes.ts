import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { serveCall, type CannedResponse } from '../serve-call.ts';
import { authenticate, isAnswer, resolveTarget } from './psn-caller.ts';
import type { PsnTitleSummary } from './psn-library.ts';
import type { PsnSandboxAccount, PsnSandboxState } from './psn-state.ts';
import {
  titleTrophiesBody,
  titleTrophyGroupsBody,
  trophiesOfGroup,
  trophyTitlesBody,
  userTrophiesBody,
  userTrophyGroupsBody,
  type PageWindow,
} from './psn-trophy-bodies.ts';
import type { PsnTitleDefinition } from './psn-trophy-catalogue.ts';
import { PSN_BAD_REQUEST, PSN_NOT_FOUND, psnApiFaults, psnApiJson } from './psn-wire.ts';

/** `trophyTitles`: 1–800, default 100; 801+ is a 400 (andshrew/PlayStation-Trophies#14). */
export const TROPHY_TITLES_MAX_LIMIT = 800;
export const TROPHY_TITLES_DEFAULT_LIMIT = 100;

const pathParams = z.object({
  accountId: z.string().min(1).optional(),
  npCommunicationId: z.string().min(1).optional(),
  trophyGroupId: z.string().min(1).optional(),
});

type Query = Record<string, unknown>;
const queryOf = (request: FastifyRequest): Query => (request.query ?? {}) as Query;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** An integer query parameter: undefined when absent, 'invalid' when not a non-negative integer. */
function intParam(query: Query, name: string): number | undefined | 'invalid' {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) return 'invalid';
  return Number(value);
}

/** `limit`/`offset` of a list; trophy lists without a limit answer everything (andshrew's API notes). */
function pageWindow(query: Query, limits: { defaultLimit: number | undefined; maxLimit: number | undefined }): PageWindow | CannedResponse {
  const limit = intParam(query, 'limit');
  const offset = intParam(query, 'offset');
  if (limit === 'invalid' || limit === 0 || (limit !== undefined && limits.maxLimit !== undefined && limit > limits.maxLimit)) return PSN_BAD_REQUEST('query: limit');
  if (offset === 'invalid') return PSN_BAD_REQUEST('query: offset');
  return { offset: offset ?? 0, limit: limit ?? limits.defaultLimit };
}

/**
 * The title a per-title request names, if it answers for it: a catalogue title, asked for with its own
 * `npServiceName` (absent means `trophy2`; a PS3/PS4/Vita set asked without `trophy` is a 404, as on PSN —
 * psnawp#72, psn-api#164), and not made to 404 for this account by the admin API.
 */
function titleFor(psn: PsnSandboxState, request: FastifyRequest, npCommunicationId: string, account: PsnSandboxAccount): PsnTitleDefinition | CannedResponse {
  const serviceName = text(queryOf(request).npServiceName) ?? 'trophy2';
  if (serviceName !== 'trophy' && serviceName !== 'trophy2') return PSN_BAD_REQUEST('query: npServiceName');
  const definition = psn.trophies.catalogue.title(npCommunicationId);
  if (!definition || definition.npServiceName !== serviceName) return PSN_NOT_FOUND();
  if (psn.trophies.isTitleMissing(account.accountId, npCommunicationId)) return PSN_NOT_FOUND();
  return definition;
}

/** The target's own progress in a title: 404 when the title is not on the target's list (never synced). */
function summaryFor(psn: PsnSandboxState, target: PsnSandboxAccount, definition: PsnTitleDefinition): PsnTitleSummary | CannedResponse {
  return psn.trophies.library(target.accountId)?.summary(definition.npCommunicationId) ?? PSN_NOT_FOUND();
}

/**
 * The trophy endpoints of m.np.playstation.com, both generations, at their real paths. Every request:
 * bearer token (401 2241025) → the caller's request window (429) → the path's account (404 unknown, 403
 * 2240526 another user's private list) → query → title (404 2240525) → body.
 */
export const psnTrophyRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const psn = sandbox.state.psn;
  const base = '/api/trophy/v1';

  const serve = (request: FastifyRequest, reply: Parameters<typeof serveCall>[1], endpoint: string, produce: (params: z.infer<typeof pathParams>) => CannedResponse) => {
    const params = pathParams.parse(request.params);
    const query = queryOf(request);
    return serveCall(
      sandbox,
      reply,
      {
        endpoint,
        params: { ...params, npServiceName: text(query.npServiceName), offset: text(query.offset) },
        faults: psnApiFaults,
      },
      () => produce(params),
    );
  };

  app.get(`${base}/users/:accountId/trophyTitles`, (request, reply) =>
    serve(request, reply, 'psn.trophyTitles', ({ accountId }) => {
      const caller = authenticate(psn, request);
      if (isAnswer(caller)) return caller;
      const target = resolveTarget(psn, caller, accountId!, { privacy: true });
      if (isAnswer(target)) return target;
      const window = pageWindow(queryOf(request), { defaultLimit: TROPHY_TITLES_DEFAULT_LIMIT, maxLimit: TROPHY_TITLES_MAX_LIMIT });
      if (isAnswer(window)) return window;
      return psnApiJson(trophyTitlesBody(psn.trophies.listing(target.accountId, window.offset), window));
    }),
  );

  app.get(`${base}/npCommunicationIds/:npCommunicationId/trophyGroups/:trophyGroupId/trophies`, (request, reply) =>
    serve(request, reply, 'psn.titleTrophies', ({ npCommunicationId, trophyGroupId }) => {
      const caller = authenticate(psn, request);
      if (isAnswer(caller)) return caller;
      const window = pageWindow(queryOf(request), { defaultLimit: undefined, maxLimit: undefined });
      if (isAnswer(window)) return window;
      const definition = titleFor(psn, request, npCommunicationId!, caller);
      if (isAnswer(definition)) return definition;
      const trophies = trophiesOfGroup(definition, trophyGroupId!);
      if (!trophies) return PSN_NOT_FOUND();
      return psnApiJson(titleTrophiesBody(definition, trophies, window));
    }),
  );

  app.get(`${base}/users/:accountId/npCommunicationIds/:npCommunicationId/trophyGroups/:trophyGroupId/trophies`, (request, reply) =>
    serve(request, reply, 'psn.userTrophies', ({ accountId, npCommunicationId, trophyGroupId }) => {
      const caller = authenticate(psn, request);
      if (isAnswer(caller)) return caller;
      const target = resolveTarget(psn, caller, accountId!, { privacy: true });
      if (isAnswer(target)) return target;
      const window = pageWindow(queryOf(request), { defaultLimit: undefined, maxLimit: undefined });
      if (isAnswer(window)) return window;
      const definition = titleFor(psn, request, npCommunicationId!, target);
      if (isAnswer(definition)) return definition;
      const summary = summaryFor(psn, target, definition);
      if (isAnswer(summary)) return summary;
      const trophies = trophiesOfGroup(definition, trophyGroupId!);
      if (!trophies) return PSN_NOT_FOUND();
      return psnApiJson(userTrophiesBody(summary, trophies, window));
    }),
  );

  app.get(`${base}/npCommunicationIds/:npCommunicationId/trophyGroups`, (request, reply) =>
    serve(request, reply, 'psn.titleTrophyGroups', ({ npCommunicationId }) => {
      const caller = authenticate(psn, request);
      if (isAnswer(caller)) return caller;
      const definition = titleFor(psn, request, npCommunicationId!, caller);
      if (isAnswer(definition)) return definition;
      return psnApiJson(titleTrophyGroupsBody(definition));
    }),
  );

  app.get(`${base}/users/:accountId/npCommunicationIds/:npCommunicationId/trophyGroups`, (request, reply) =>
    serve(request, reply, 'psn.userTrophyGroups', ({ accountId, npCommunicationId }) => {
      const caller = authenticate(psn, request);
      if (isAnswer(caller)) return caller;
      const target = resolveTarget(psn, caller, accountId!, { privacy: true });
      if (isAnswer(target)) return target;
      const definition = titleFor(psn, request, npCommunicationId!, target);
      if (isAnswer(definition)) return definition;
      const summary = summaryFor(psn, target, definition);
      if (isAnswer(summary)) return summary;
      return psnApiJson(userTrophyGroupsBody(summary));
    }),
  );
};
