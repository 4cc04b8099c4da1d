import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FaultSpec } from '../faults.ts';
import type { SandboxPluginOptions } from '../sandbox-context.ts';

const callsQuery = z.record(z.string(), z.string());

/**
 * Platform-neutral admin API under `/__sandbox`: reset, faults, call counts, window refusals. Each platform plugin adds
 * its own account operations under `/__sandbox/<platform>/`.
 */
export const adminRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const state = sandbox.state;

  app.get('/health', async () => ({ ok: true }));

  app.post('/reset', async (_request, reply) => {
    state.reset();
    return reply.code(204).send();
  });

  // `add` validates the spec (a ZodError becomes a 400 with its issues).
  app.post('/faults', async (request, reply) => reply.code(201).send(state.faults.add(request.body as FaultSpec)));
  app.get('/faults', async () => ({ faults: state.faults.list() }));
  app.delete('/faults', async (_request, reply) => {
    state.faults.clear();
    return reply.code(204).send();
  });

  /** `GET /__sandbox/calls` → every count; `?endpoint=steam.GetPlayerAchievements&appid=440` → `{ count }`. */
  app.get('/calls', async (request) => {
    const { endpoint, ...match } = callsQuery.parse(request.query ?? {});
    if (endpoint === undefined) return { calls: state.calls.snapshot() };
    return { endpoint, match, count: state.calls.count(endpoint, match) };
  });
  app.delete('/calls', async (_request, reply) => {
    state.calls.clear();
    return reply.code(204).send();
  });

  /** `GET /__sandbox/throttled`: the requests refused by a full request window (not by a fault), counted like calls. */
  app.get('/throttled', async () => ({ throttled: state.throttled.snapshot() }));
};
