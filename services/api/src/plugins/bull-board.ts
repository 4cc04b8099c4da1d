import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { secretsEqual } from '@ach/crypto';
import { PLATFORMS } from '@ach/db';
import type { SyncQueues } from '@ach/queue';
import { usePageHeaders } from './security-headers.ts';

export const BULL_BOARD_PREFIX = '/admin/queues';

function basicAuthMatches(header: string | undefined, user: string, password: string): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always, in constant time: no early exit tells which half was wrong.
  const userOk = secretsEqual(decoded.slice(0, colon), user);
  const passwordOk = secretsEqual(decoded.slice(colon + 1), password);
  return userOk && passwordOk;
}

/**
 * Bull Board behind HTTP basic auth (browsers send no bearer token). Registered in its own scope
 * with the prefix equal to the adapter's base path. Job data is ids only by contract.
 */
export const bullBoardPlugin: FastifyPluginAsync<{ queues: SyncQueues; user: string; password: string }> = async (app: FastifyInstance, options) => {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PREFIX);
  createBullBoard({
    queues: PLATFORMS.map((p) => new BullMQAdapter(options.queues[p])),
    // @bull-board/fastify pins its own copy of @bull-board/api (9.10.1 vs 9.10.2): same shape, distinct declarations.
    serverAdapter,
    options: { uiConfig: { boardTitle: 'achievement-sync' } },
  });

  // The board's page runs inline scripts; the API's strict CSP would blank it.
  usePageHeaders(app);
  app.addHook('onRequest', async (request, reply) => {
    if (!basicAuthMatches(request.headers.authorization, options.user, options.password)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="bull-board", charset="UTF-8"')
        .type('application/problem+json')
        .send(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Bull Board needs basic auth', code: 'unauthorized' }));
    }
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PREFIX });
};
