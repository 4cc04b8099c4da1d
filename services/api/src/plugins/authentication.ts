import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthUser, TokenVerifier } from '../auth/token-verifier.ts';
import { ProblemError } from '../problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `authenticateUser` hook on user routes. */
    auth: AuthUser;
  }
  interface FastifyInstance {
    /** onRequest hook: a valid Supabase access token with role `authenticated`. */
    authenticateUser: (request: FastifyRequest) => Promise<void>;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/**
 * Runs as an onRequest hook, before the body is read: an anonymous caller costs a header check,
 * and the per-user rate limit (a later hook) can key on the verified user id.
 */
export const authenticationPlugin = fp(
  async (app: FastifyInstance, options: { verifyToken: TokenVerifier }) => {
    app.decorateRequest('auth', null as unknown as AuthUser);
    app.decorate('authenticateUser', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      if (!header) {
        throw new ProblemError(401, 'missing_token', 'An Authorization: Bearer <access token> header is required', { headers: { 'www-authenticate': 'Bearer' } });
      }
      const match = BEARER.exec(header.trim());
      if (!match?.[1]) {
        throw new ProblemError(401, 'invalid_token', 'The Authorization header is not a bearer token', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      }
      const user = await options.verifyToken(match[1]);
      if (user.role !== 'authenticated') {
        throw new ProblemError(403, 'forbidden_role', 'This route needs a signed-in user token', {});
      }
      request.auth = user;
    });
  },
  { name: 'authentication' },
);
