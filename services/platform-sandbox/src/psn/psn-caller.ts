import type { FastifyRequest } from 'fastify';
import type { CannedResponse } from '../serve-call.ts';
import type { PsnSandboxAccount, PsnSandboxState } from './psn-state.ts';
import { PSN_INVALID_TOKEN, PSN_NOT_FOUND, PSN_NOT_PERMITTED, psnRateLimited } from './psn-wire.ts';

/** Who is asking, as m.np.playstation.com decides it for every API request. */

export const bearer = (request: FastifyRequest): string | undefined => /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];

export const isAnswer = (value: unknown): value is CannedResponse => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

/**
 * The caller behind the bearer token, or PSN's answer when there is none (401) or the caller's request
 * window is used up (429: the limit is per signed-in user, so it is decided after the token).
 */
export function authenticate(psn: PsnSandboxState, request: FastifyRequest): PsnSandboxAccount | CannedResponse {
  const caller = psn.accountForAccessToken(bearer(request) ?? '');
  if (!caller) return PSN_INVALID_TOKEN();
  const decision = psn.trophies.takeRateLimit(caller.accountId);
  if (!decision.allowed) return psnRateLimited(decision);
  return caller;
}

/** The signed-in account for `me`, or the named one; PSN answers another user's private data with 403, an unknown id with 404. */
export function resolveTarget(psn: PsnSandboxState, caller: PsnSandboxAccount, accountId: string, options: { privacy: boolean }): PsnSandboxAccount | CannedResponse {
  if (accountId === 'me' || accountId === caller.accountId) return caller;
  const target = psn.accountById(accountId);
  if (!target) return PSN_NOT_FOUND();
  if (options.privacy && target.isPrivate) return PSN_NOT_PERMITTED();
  return target;
}
