import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { SandboxStateError } from '../sandbox-state-error.ts';

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
});

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
};
