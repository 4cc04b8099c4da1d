import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { SandboxStateError } from '../sandbox-state-error.ts';
import { psnLibraryOptionsSchema } from './psn-library.ts';
import { psnRateLimitSchema } from './psn-rate-limit.ts';
import { psnListDropSchema } from './psn-trophy-state.ts';

const accountIdSchema = z.string().regex(/^\d{1,20}$/, 'a numeric account id string');
const countsSchema = z.strictObject({ bronze: z.number().int().min(0), silver: z.number().int().min(0), gold: z.number().int().min(0), platinum: z.number().int().min(0) });

const newAccountSchema = z.strictObject({
  npsso: z.string().regex(/^[A-Za-z0-9._~-]{1,512}$/),
  accountId: accountIdSchema,
  onlineId: z.string().min(1).max(32),
  aboutMe: z.string().max(500).optional(),
  isPlus: z.boolean().optional(),
  isPrivate: z.boolean().optional(),
  trophyLevel: z.number().int().min(1).max(999).optional(),
  progress: z.number().int().min(0).max(100).optional(),
  earnedTrophies: countsSchema.optional(),
  library: psnLibraryOptionsSchema.optional(),
});

const npCommunicationIdSchema = z.string().regex(/^[A-Z]{4}\d{5}_\d{2}$/, 'an npCommunicationId such as NPWR00021_00');
const accountParams = z.object({ accountId: accountIdSchema });
const titleParams = accountParams.extend({ npCommunicationId: npCommunicationIdSchema });
const libraryQuery = z.object({ trophies: z.enum(['true', 'false']).default('true') });
const earnBody = z.strictObject({
  /** Default: the oldest title (bottom of the list) that still has a locked trophy. */
  npCommunicationId: npCommunicationIdSchema.optional(),
  count: z.number().int().min(1).max(1_000).default(1),
});
const missingBody = z.strictObject({ missing: z.boolean() });

const accountStateSchema = z.strictObject({
  /** "Expired token" state: the account's issued access and/or refresh tokens stop working now. */
  expireTokens: z.enum(['access', 'refresh', 'all']).optional(),
  /** The NPSSO stops working (authorize answers the login_required redirect). */
  revokeNpsso: z.literal(true).optional(),
  private: z.boolean().optional(),
});

/** `/__sandbox/psn/...`: see the sandbox README's PSN section. Lists seeded NPSSOs, never an issued token. */
export const psnAdminRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const psn = sandbox.state.psn;

  app.get('/accounts', async () => ({ accounts: psn.listAccounts() }));

  app.post('/accounts', async (request, reply) => {
    const seed = newAccountSchema.parse(request.body);
    if (psn.accountById(seed.accountId)) throw new SandboxStateError(409, `PSN account ${seed.accountId} exists`);
    return reply.code(201).send(psn.addAccount(seed));
  });

  app.post('/accounts/:accountId/state', async (request) => {
    const { accountId } = z.object({ accountId: accountIdSchema }).parse(request.params);
    const change = accountStateSchema.parse(request.body ?? {});
    if (!psn.accountById(accountId)) throw new SandboxStateError(404, `no PSN account ${accountId}`);
    const expired = change.expireTokens ? psn.expireTokens(accountId, change.expireTokens) : 0;
    if (change.revokeNpsso) psn.revokeNpsso(accountId);
    if (change.private !== undefined) psn.setPrivate(accountId, change.private);
    return { account: psn.accountById(accountId), expiredTokens: expired };
  });

  const requireAccount = (params: unknown) => {
    const { accountId } = accountParams.parse(params);
    if (!psn.accountById(accountId)) throw new SandboxStateError(404, `no PSN account ${accountId}`);
    return accountId;
  };

  // The trophy list: what a full sync must store (`?trophies=false`: titles and counts only).
  app.get('/accounts/:accountId/library', async (request) => {
    const accountId = requireAccount(request.params);
    const withTrophies = libraryQuery.parse(request.query ?? {}).trophies === 'true';
    const view = psn.trophies.view(accountId, withTrophies);
    if (!view) throw new SandboxStateError(404, `no PSN library for account ${accountId}`);
    return view;
  });

  // Replaces the library (its changes, drops and 404s are forgotten); answers the summary without trophies.
  app.put('/accounts/:accountId/library', async (request) => {
    const accountId = requireAccount(request.params);
    const { titles: _titles, ...summary } = psn.trophies.putLibrary(accountId, psnLibraryOptionsSchema.parse(request.body ?? {}));
    return summary;
  });

  // "Change one title": new earned trophies now, lastUpdatedDateTime bumped past every other title (top of the list).
  app.post('/accounts/:accountId/titles/earn', async (request) => {
    const accountId = requireAccount(request.params);
    const body = earnBody.parse(request.body ?? {});
    return psn.trophies.earn(accountId, body.npCommunicationId, body.count);
  });

  // One title answers 404 on its per-title endpoints (for this account) while staying on the list.
  app.put('/accounts/:accountId/titles/:npCommunicationId/missing', async (request) => {
    const { npCommunicationId } = titleParams.parse(request.params);
    const accountId = requireAccount(request.params);
    const { missing } = missingBody.parse(request.body);
    psn.trophies.setTitleMissing(accountId, npCommunicationId, missing);
    return { npCommunicationId, missing };
  });

  // Shrinking-list guard testing: the next `listings` listings leave `percent` % of the titles out.
  app.put('/accounts/:accountId/list-drop', async (request) => {
    const accountId = requireAccount(request.params);
    psn.trophies.dropTitles(accountId, psnListDropSchema.parse(request.body));
    return psn.trophies.listDrop(accountId);
  });
  app.delete('/accounts/:accountId/list-drop', async (request, reply) => {
    const accountId = requireAccount(request.params);
    psn.trophies.dropTitles(accountId, null);
    return reply.code(204).send();
  });

  // The account's request window (429 with PSN's headers once used up); DELETE: unlimited again.
  app.get('/accounts/:accountId/rate-limit', async (request) => ({ rateLimit: psn.trophies.rateLimit(requireAccount(request.params)) ?? null }));
  app.put('/accounts/:accountId/rate-limit', async (request) => {
    const accountId = requireAccount(request.params);
    psn.trophies.setRateLimit(accountId, psnRateLimitSchema.parse(request.body));
    return { rateLimit: psn.trophies.rateLimit(accountId) };
  });
  app.delete('/accounts/:accountId/rate-limit', async (request, reply) => {
    psn.trophies.setRateLimit(requireAccount(request.params), null);
    return reply.code(204).send();
  });
};
