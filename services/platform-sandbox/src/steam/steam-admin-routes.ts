import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { steamAccountOptionsSchema, steamIdSchema } from './steam-state.ts';

const accountParams = z.strictObject({ steamId: steamIdSchema });
const appid = z.number().int().positive();
const earnBody = z.strictObject({ appid, count: z.number().int().min(1).max(10_000).default(1) });
const addGamesBody = z.strictObject({ count: z.number().int().min(1).max(100_000) });
const privateBody = z.strictObject({ private: z.boolean() });
const resetStatsBody = z.strictObject({ appid });

/**
 * `/__sandbox/steam/...`: the same operations as `state.steam`, for tests and demos that run the
 * sandbox in another process. Bodies are zod-checked; errors are `{ error, issues? }` with 400/404/409.
 */
export const steamAdminRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const steam = () => sandbox.state.steam;

  app.get('/accounts', async () => ({ accounts: steam().listAccounts() }));

  app.get('/accounts/:steamId', async (request, reply) => {
    const { steamId } = accountParams.parse(request.params);
    const library = steam().library(steamId);
    if (!library) return reply.code(404).send({ error: `no sandbox Steam account ${steamId}` });
    return library;
  });

  app.put('/accounts/:steamId', async (request) => {
    const { steamId } = accountParams.parse(request.params);
    return steam().putAccount(steamId, steamAccountOptionsSchema.parse(request.body ?? {}));
  });

  app.delete('/accounts/:steamId', async (request, reply) => {
    const { steamId } = accountParams.parse(request.params);
    return reply.code(steam().removeAccount(steamId) ? 204 : 404).send();
  });

  app.post('/accounts/:steamId/earn', async (request) => {
    const { steamId } = accountParams.parse(request.params);
    const body = earnBody.parse(request.body);
    return steam().earn(steamId, body.appid, body.count);
  });

  app.post('/accounts/:steamId/games', async (request) => {
    const { steamId } = accountParams.parse(request.params);
    return { added: steam().addGames(steamId, addGamesBody.parse(request.body).count) };
  });

  app.put('/accounts/:steamId/private', async (request) => {
    const { steamId } = accountParams.parse(request.params);
    return steam().setPrivate(steamId, privateBody.parse(request.body).private);
  });

  app.post('/accounts/:steamId/reset-stats', async (request, reply) => {
    const { steamId } = accountParams.parse(request.params);
    steam().resetStats(steamId, resetStatsBody.parse(request.body).appid);
    return reply.code(204).send();
  });
};
