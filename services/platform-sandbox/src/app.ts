import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { adminRoutes } from './admin/admin-routes.ts';
import type { SandboxContext } from './sandbox-context.ts';
import { SANDBOX_PLATFORM_ROUTES, sandboxRoutesFor } from './sandbox-platforms.ts';
import { SandboxStateError } from './sandbox-state-error.ts';
import { createSandboxState, type SandboxState, type SandboxStateOptions } from './state.ts';

export interface SandboxOptions extends SandboxStateOptions {
  /** A pino logger (server.ts passes the service logger); none: silent, which is what tests want. */
  logger?: FastifyBaseLogger;
  /** Registry slugs of the platforms to stand in for (default: every one in sandbox-platforms.ts). */
  platforms?: readonly string[];
}

export interface Sandbox {
  app: FastifyInstance;
  state: SandboxState;
}

/**
 * One Fastify app answering every platform at its real paths (a base URL is scheme + host + port, so
 * one server stands in for every host). Platforms plug in as route plugins receiving the shared
 * `SandboxContext`; nothing here knows a platform's wire format.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const state = createSandboxState(options);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Request lines carry Steam keys in the query, and a benchmark makes tens of thousands of them.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());
  const sandbox: SandboxContext = { state, closing: closing.signal };

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ZodError) return reply.code(400).send({ error: 'invalid request', issues: error.issues });
    if (error instanceof SandboxStateError) return reply.code(error.status).send({ error: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: (error as Error).message });
    app.log.error({ err: error }, 'sandbox route failed');
    return reply.code(500).send({ error: 'sandbox internal error' });
  });

  app.register(adminRoutes, { prefix: '/__sandbox', sandbox });
  for (const routes of sandboxRoutesFor(options.platforms ?? Object.keys(SANDBOX_PLATFORM_ROUTES))) app.register(routes, { sandbox });
  return { app, state };
}
