import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createUserRepository, type UserProfileRow } from '@ach/accounts';
import { secretsEqual } from '@ach/crypto';
import type { AppDeps } from '../../app-deps.ts';
import { createFailedAuthThrottle, lockedOutProblem } from '../../auth/failed-auth-throttle.ts';
import { INVALID_REQUEST, JSON_BODY_PROBLEMS, problemResponses, USER_ROUTE_PROBLEMS } from '../../api-docs/problem-responses.ts';
import { ProblemError } from '../../problem.ts';

const userSchema = z.object({
  id: z.uuid(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  username: z.string(),
  displayName: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});

const toUserView = (row: UserProfileRow) => ({
  id: row.id,
  email: row.email,
  emailVerified: row.email_verified,
  username: row.username,
  displayName: row.display_name,
  avatarUrl: row.avatar_url,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const authUserRecord = z.looseObject({ id: z.uuid() });
const webhookBody = z.object({
  type: z.enum(['INSERT', 'UPDATE', 'DELETE']),
  table: z.literal('users'),
  schema: z.literal('auth'),
  record: authUserRecord.nullable(),
  old_record: authUserRecord.nullable().optional(),
});

/** POST /users/sync (user). */
export const userRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('onRequest', app.authenticateUser);
  const users = createUserRepository(deps.db);

  app.withTypeProvider<ZodTypeProvider>().post('/users/sync', {
    schema: {
      operationId: 'ensureUserProfile',
      tags: ['users'],
      summary: 'Make sure the caller\'s public.users row exists (self-healing fallback to the signup trigger)',
      security: [{ bearerAuth: [] }],
      response: {
        200: z.object({ created: z.boolean(), user: userSchema }),
        ...problemResponses(USER_ROUTE_PROBLEMS, { 404: ['`auth_user_not_found`: no auth user exists for the token\'s subject'] }),
      },
    },
  }, async (request) => {
    const outcome = await users.ensureProfile(request.auth.id);
    if (outcome.kind === 'missing_auth_user') {
      throw new ProblemError(404, 'auth_user_not_found', 'No auth user exists for this token\'s subject');
    }
    return { created: outcome.created, user: toUserView(outcome.user) };
  });
};

function presentedSecret(request: FastifyRequest): string | undefined {
  const header = request.headers['x-webhook-secret'];
  if (typeof header === 'string' && header) return header;
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length);
  return undefined;
}

/**
 * POST /webhooks/auth-users: Supabase Database Webhook on auth.users. Registered only when
 * AUTH_WEBHOOK_SECRET is set (otherwise the route does not exist: 404). Idempotent: INSERT ensures
 * the profile, UPDATE also refreshes auth-owned fields, DELETE removes a profile whose auth user
 * is gone (the foreign key's cascade normally did it already). Wrong secrets are throttled per
 * address (see createFailedAuthThrottle).
 */
export const authWebhookRoutes: FastifyPluginAsync<{ deps: AppDeps; secret: string }> = async (app, { deps, secret }) => {
  const users = createUserRepository(deps.db);
  const throttle = createFailedAuthThrottle({ redis: deps.redis, keyPrefix: deps.config.queuePrefix, scope: 'auth-webhook', log: app.log });
  app.addHook('onRequest', async (request) => {
    const given = presentedSecret(request);
    const passed = given !== undefined && secretsEqual(given, secret);
    // A missing secret is not a guess; a wrong one is, and counts against the caller's address.
    const retryAfter = given === undefined ? undefined : await throttle.lockedOutFor(request.ip, passed);
    if (retryAfter !== undefined) throw lockedOutProblem(retryAfter);
    if (!passed) throw new ProblemError(401, 'invalid_webhook_secret', 'Missing or wrong webhook secret');
  });

  app.withTypeProvider<ZodTypeProvider>().post('/webhooks/auth-users', {
    schema: {
      operationId: 'handleAuthUsersWebhook',
      tags: ['webhooks'],
      summary: 'Supabase Database Webhook for auth.users (secret in x-webhook-secret or Authorization: Bearer)',
      description: 'Exists only when the server sets AUTH_WEBHOOK_SECRET (else 404).',
      security: [{ webhookSecret: [] }, { webhookBearer: [] }],
      body: webhookBody,
      response: {
        200: z.object({ action: z.enum(['created', 'exists', 'updated', 'deleted', 'ignored']), userId: z.uuid() }),
        ...problemResponses(INVALID_REQUEST, JSON_BODY_PROBLEMS, {
          400: ['`validation_failed`: `record` (or `old_record` for DELETE) is missing'],
          401: ['`invalid_webhook_secret`: missing or wrong secret'],
          404: ['`auth_user_not_found`: auth.users has no row with this id in this database'],
          429: ['`rate_limited`: too many wrong secrets from this address; every attempt waits out `Retry-After`'],
        }),
      },
    },
  }, async (request) => {
    const { type, record, old_record: oldRecord } = request.body;
    const userId = (type === 'DELETE' ? (oldRecord ?? record) : record)?.id;
    if (!userId) {
      throw new ProblemError(400, 'validation_failed', `body.${type === 'DELETE' ? 'old_record' : 'record'}: required for ${type}`);
    }
    if (type === 'DELETE') {
      const deleted = await users.deleteOrphanedProfile(userId);
      return { action: deleted ? ('deleted' as const) : ('ignored' as const), userId };
    }
    const outcome = await users.ensureProfile(userId);
    if (outcome.kind === 'missing_auth_user') {
      throw new ProblemError(404, 'auth_user_not_found', 'auth.users has no row with this id in this database');
    }
    if (type === 'UPDATE') {
      await users.refreshAuthOwnedFields(userId);
      return { action: outcome.created ? ('created' as const) : ('updated' as const), userId };
    }
    return { action: outcome.created ? ('created' as const) : ('exists' as const), userId };
  });
};
