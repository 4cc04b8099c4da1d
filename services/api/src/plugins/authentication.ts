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
    /** onRequest hook: a valid Supabase access token with role `authenticated` that is not an admin's. */
    authenticateUser: (request: FastifyRequest) => Promise<void>;
    /** A valid token of an admin: role `service_role` or `app_metadata.role` `admin` (the admin routes' bearer path). */
    authenticateAdmin: (request: FastifyRequest) => Promise<void>;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/**
 * Runs as an onRequest hook, before the body is read: an anonymous caller costs a header check,
 * and the per-user rate limit (a later hook) can key on the verified user id.
 */
export const authenticationPlugin = fp(
  async (app: FastifyInstance, options: { verifyToken: TokenVerifier }) => {
    const bearerUser = async (request: FastifyRequest): Promise<AuthUser> => {
      const header = request.headers.authorization;
      if (!header) {
        throw new ProblemError(401, 'missing_token', 'An Authorization: Bearer <access token> header is required', { headers: { 'www-authenticate': 'Bearer' } });
      }
      const match = BEARER.exec(header.trim());
      if (!match?.[1]) {
        throw new ProblemError(401, 'invalid_token', 'The Authorization header is not a bearer token', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      }
      return options.verifyToken(match[1]);
    };

    app.decorateRequest('auth', null as unknown as AuthUser);
    app.decorate('authenticateUser', async (request: FastifyRequest) => {
      const user = await bearerUser(request);
      // An admin token is not a user's: it would act on the data of whoever its `sub` names.
      if (user.role !== 'authenticated' || user.isAdmin) {
        throw new ProblemError(403, 'forbidden_role', 'This route needs a signed-in user token', {});
      }
      request.auth = user;
    });
    app.decorate('authenticateAdmin', async (request: FastifyRequest) => {
      const user = await bearerUser(request);
      if (!user.isAdmin) {
        throw new ProblemError(403, 'forbidden_role', 'This route needs an admin token (role service_role or app_metadata.role admin)', {});
      }
      request.auth = user;
    });
  },
  { name: 'authentication' },
);
