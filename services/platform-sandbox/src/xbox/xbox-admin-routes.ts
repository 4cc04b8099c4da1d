import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { SandboxStateError } from '../sandbox-state-error.ts';

const xuidSchema = z.string().regex(/^\d{1,20}$/, 'a numeric xuid string');

const newAccountSchema = z.strictObject({
  refreshToken: z.string().min(1).max(2048),
  xuid: xuidSchema,
  gamertag: z.string().min(1).max(32),
  userHash: z.string().regex(/^\d{1,20}$/).optional(),
  ageGroup: z.enum(['Adult', 'Teen', 'Child']).optional(),
  /** XSTS refuses this account with this XErr (2148916233 no Xbox profile, 2148916238 child, ...). */
  xstsError: z.number().int().min(2148916224).max(2148916300).optional(),
  gamerscore: z.number().int().min(0).optional(),
  displayPicRaw: z.url().optional(),
});

const accountStateSchema = z.strictObject({
  /** "Expired token" state: the account's MSA access / user / XSTS tokens stop working now. */
  expireTokens: z.enum(['msa', 'user', 'xsts', 'all']).optional(),
  /** Every refresh token of the account (the seeded one too) answers invalid_grant from now on. */
  revokeRefreshTokens: z.literal(true).optional(),
});

/** `/__sandbox/xbox/...`: see the sandbox README's Xbox section. Never returns a token. */
export const xboxAdminRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const xbox = sandbox.state.xbox;
  const view = ({ seedRefreshToken: _secret, ...account }: ReturnType<typeof xbox.listAccounts>[number]) => account;

  app.get('/accounts', async () => ({ accounts: xbox.listAccounts().map(view) }));

  app.post('/accounts', async (request, reply) => {
    const seed = newAccountSchema.parse(request.body);
    if (xbox.accountByXuid(seed.xuid)) throw new SandboxStateError(409, `Xbox account ${seed.xuid} exists`);
    // A stable user hash per account unless given: the XBL3.0 header pairs it with the XSTS token.
    const userHash = seed.userHash ?? (BigInt(seed.xuid) * 7919n).toString().slice(0, 19);
    return reply.code(201).send(view(xbox.addAccount({ ...seed, userHash })));
  });

  app.post('/accounts/:xuid/state', async (request) => {
    const { xuid } = z.object({ xuid: xuidSchema }).parse(request.params);
    const change = accountStateSchema.parse(request.body ?? {});
    const account = xbox.accountByXuid(xuid);
    if (!account) throw new SandboxStateError(404, `no Xbox account ${xuid}`);
    const expired = change.expireTokens ? xbox.expireTokens(xuid, change.expireTokens) : 0;
    if (change.revokeRefreshTokens) xbox.revokeRefreshTokens(xuid);
    return { account: view(account), expiredTokens: expired };
  });
};
