import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { SandboxStateError } from '../sandbox-state-error.ts';
import { xboxLibraryOptionsSchema } from './xbox-library.ts';
import { xboxRateWindowSchema } from './xbox-rate-limit.ts';
import type { XboxSandboxState } from './xbox-state.ts';
import { xboxInstant } from './xbox-wire.ts';

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
  library: xboxLibraryOptionsSchema.optional(),
});

const accountStateSchema = z.strictObject({
  /** "Expired token" state: the account's MSA access / user / XSTS tokens stop working now. */
  expireTokens: z.enum(['msa', 'user', 'xsts', 'all']).optional(),
  /** Every refresh token of the account (the seeded one too) answers invalid_grant from now on. */
  revokeRefreshTokens: z.literal(true).optional(),
  /** Achievements and titlehub answer 403 for this account's data. */
  private: z.boolean().optional(),
});

const titleParamsSchema = z.object({ xuid: xuidSchema, titleId: z.string().regex(/^\d{1,10}$/).transform(Number) });
const earnSchema = z.strictObject({ count: z.number().int().min(1).max(10_000).default(1) });
const notFoundSchema = z.strictObject({ notFound: z.boolean() });
const shrinkSchema = z.strictObject({ percent: z.number().int().min(0).max(100), calls: z.number().int().min(0).max(1_000_000).default(1) });
/** `windows: []` = never throttled; `null` = back to the sandbox default. */
const rateLimitSchema = z.strictObject({ windows: z.array(xboxRateWindowSchema).max(4).nullable() });

/** Everything a test needs to predict what a full sync must store. */
function libraryView(xbox: XboxSandboxState, xuid: string) {
  const library = xbox.library(xuid);
  if (!library) return undefined;
  return {
    xuid,
    library: library.shape,
    titles: library.titles().map((t) => ({
      titleId: String(t.definition.titleId),
      name: t.definition.name,
      contract: t.definition.kind === 'modern' ? 2 : 1,
      devices: t.definition.devices,
      serviceConfigId: t.definition.serviceConfigId,
      totalGamerscore: t.definition.totalGamerscore,
      currentGamerscore: t.currentGamerscore,
      achievementCount: t.definition.achievementCount,
      earnedCount: t.earnedCount,
      lastPlayed: xboxInstant(t.progress.lastPlayed),
      lastUnlock: t.lastUnlock > 0 ? xboxInstant(t.lastUnlock) : null,
      notFound: xbox.isTitleNotFound(xuid, t.definition.titleId),
      achievements: t.definition.achievements.map((a, k) => ({
        id: String(a.id),
        name: a.name,
        gamerscore: a.gamerscore,
        isSecret: a.isSecret,
        rarityPercent: a.rarityPercent,
        timeUnlocked: (t.progress.unlockTimes[k] ?? 0) > 0 ? xboxInstant(t.progress.unlockTimes[k]!) : null,
      })),
    })),
  };
}

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
    if (change.private !== undefined) xbox.setPrivate(xuid, change.private);
    return { account: view(account), expiredTokens: expired };
  });

  app.get('/accounts/:xuid/library', async (request) => {
    const { xuid } = z.object({ xuid: xuidSchema }).parse(request.params);
    const library = libraryView(xbox, xuid);
    if (!library) throw new SandboxStateError(404, `no Xbox account ${xuid}`);
    return library;
  });

  app.put('/accounts/:xuid/library', async (request) => {
    const { xuid } = z.object({ xuid: xuidSchema }).parse(request.params);
    return { xuid, library: xbox.setLibrary(xuid, xboxLibraryOptionsSchema.parse(request.body ?? {})) };
  });

  app.post('/accounts/:xuid/titles/:titleId/earn', async (request) => {
    const { xuid, titleId } = titleParamsSchema.parse(request.params);
    const { count } = earnSchema.parse(request.body ?? {});
    const earned = xbox.earn(xuid, titleId, count);
    return { titleId: String(earned.titleId), earned: earned.earned.map(String), lastPlayed: xboxInstant(earned.lastPlayed) };
  });

  app.put('/accounts/:xuid/titles/:titleId/not-found', async (request) => {
    const { xuid, titleId } = titleParamsSchema.parse(request.params);
    const { notFound } = notFoundSchema.parse(request.body);
    xbox.setTitleNotFound(xuid, titleId, notFound);
    return { xuid, titleId: String(titleId), notFound };
  });

  app.post('/accounts/:xuid/shrink-history', async (request) => {
    const { xuid } = z.object({ xuid: xuidSchema }).parse(request.params);
    const { percent, calls } = shrinkSchema.parse(request.body);
    xbox.shrinkTitleHistory(xuid, percent, calls);
    return { xuid, percent, calls };
  });

  app.put('/accounts/:xuid/rate-limit', async (request) => {
    const { xuid } = z.object({ xuid: xuidSchema }).parse(request.params);
    const { windows } = rateLimitSchema.parse(request.body);
    return { xuid, windows: xbox.setRateLimit(xuid, windows) };
  });
};
