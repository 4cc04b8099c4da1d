import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { RedisClient } from '@ach/queue';
import type { SyncQueues } from '@ach/queue';
import { createFailedAuthThrottle, lockedOutProblem } from '../auth/failed-auth-throttle.ts';
import { credentialsMatch } from '../auth/operator-credentials.ts';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemBody } from '../problem.ts';
import { usePageHeaders } from './security-headers.ts';

export const BULL_BOARD_PREFIX = '/admin/queues';

/** The user:password pair of a Basic header, or undefined when none was presented. */
function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const sendProblem = (reply: FastifyReply, problem: ProblemError) =>
  reply
    .code(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemBody(problem.status, problem.code, problem.message)));

export interface BullBoardOptions {
  queues: SyncQueues;
  user: string;
  password: string;
  /** Failed logins are counted per address in Redis under `<keyPrefix>:auth-failures:bull-board:`. */
  redis: RedisClient;
  keyPrefix: string;
}

/**
 * Bull Board behind HTTP basic auth (browsers send no bearer token). Registered in its own scope
 * with the prefix equal to the adapter's base path. Job data is ids only by contract. Wrong
 * credentials are throttled per address (see createFailedAuthThrottle).
 */
export const bullBoardPlugin: FastifyPluginAsync<BullBoardOptions> = async (app: FastifyInstance, options) => {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PREFIX);
  createBullBoard({
    queues: Object.values(options.queues).map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify pins its own copy of @bull-board/api (9.10.1 vs 9.10.2): same shape, distinct declarations.
    serverAdapter,
    options: { uiConfig: { boardTitle: 'achievement-sync' } },
  });

  // The board's page runs inline scripts; the API's strict CSP would blank it.
  usePageHeaders(app);
  const throttle = createFailedAuthThrottle({ redis: options.redis, keyPrefix: options.keyPrefix, scope: 'bull-board', log: app.log });
  app.addHook('onRequest', async (request, reply) => {
    const given = basicCredentials(request.headers.authorization);
    const passed = given !== undefined && credentialsMatch(given, options.user, options.password);
    // Only a presented, wrong pair is a guess: a browser's first request carries none.
    const retryAfter = given === undefined ? undefined : await throttle.lockedOutFor(request.ip, passed);
    if (retryAfter !== undefined) return sendProblem(reply, lockedOutProblem(retryAfter));
    if (!passed) {
      return sendProblem(
        reply.header('www-authenticate', 'Basic realm="bull-board", charset="UTF-8"'),
        new ProblemError(401, 'unauthorized', 'Bull Board needs basic auth'),
      );
    }
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PREFIX });
};
