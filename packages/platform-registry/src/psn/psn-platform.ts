import { z } from 'zod';
import { createPsnAuthClient, createPsnTrophyClient, linkPsnAccount, type PsnAuthClient, type PsnTrophyClient } from '@ach/platform-clients';
import { syncQueueName } from '@ach/queue';
import { createKeyedRateLimiter, createRedisWindowLimiter, isKeyedRateLimiter } from '@ach/sync-engine';
import { LINK_TIMEOUT_MS } from '../link-timeout.ts';
import type { ClientHooks, PlatformLinking, PlatformModule } from '../platform-module.ts';
import { createPsnAdapter } from './psn-adapter.ts';
import { psnEnv, psnWorkerEnv, type PsnEnv, type PsnWorkerEnv } from './psn-env.ts';

export interface PsnClient {
  auth: PsnAuthClient;
  trophies: PsnTrophyClient;
}

function createPsnClient(env: PsnEnv, hooks: ClientHooks): PsnClient {
  return {
    // Token calls go to the sign-in host, which PSN's per-account API budget does not count: not paced.
    auth: createPsnAuthClient({ authBaseUrl: env.PSN_AUTH_BASE_URL, apiBaseUrl: env.PSN_API_BASE_URL, http: { onCall: hooks.onCall, timeoutMs: hooks.timeoutMs } }),
    trophies: createPsnTrophyClient({ apiBaseUrl: env.PSN_API_BASE_URL, ...hooks }),
  };
}

/**
 * Added to the window, as for Xbox (`XBOX_RATE_WINDOW_MARGIN_MS`): PSN counts a call when it arrives, a
 * varying delay after our grant, so a call granted the instant our window frees a slot could still land
 * inside PSN's window (seen as 429s at window edges whenever a sync uses the whole budget).
 */
export const PSN_RATE_WINDOW_MARGIN_MS = 500;

const psnLinkBody = z.strictObject({ npsso: z.string().trim().min(10).max(512) });

/** PSN hands tokens only to the account's owner: the link proves ownership. */
const psnLinking: PlatformLinking<PsnEnv, z.output<typeof psnLinkBody>> = {
  bodySchema: psnLinkBody,
  summary: 'Link PSN: exchange an NPSSO for tokens, store them encrypted',
  provesOwnership: true,
  link: (body, { env }) => linkPsnAccount({ npsso: body.npsso }, { psnAuth: createPsnClient(env, { timeoutMs: LINK_TIMEOUT_MS }).auth }),
};

/**
 * PlayStation Network: trophies of both console generations (`trophy` PS3/PS4/Vita sets, `trophy2` PS5),
 * read with the user's own tokens (refreshed per job), paced per PSN account across every replica.
 */
export const psn: PlatformModule<PsnEnv, PsnClient, PsnWorkerEnv> = {
  id: 1,
  slug: 'psn',
  displayName: 'PlayStation Network',
  queueName: syncQueueName('psn'),
  env: psnEnv,
  workerEnv: psnWorkerEnv,
  createClient: createPsnClient,
  createAdapter: ({ client, platform, limiter, log }) => createPsnAdapter({ client, platform, limiter: isKeyedRateLimiter(limiter) ? limiter : undefined, log }),
  // PSN counts calls per account (≈ 300 per 15 min): one sliding window per account, all replicas together.
  workerLimiter: ({ env, redis, prefix }) =>
    createKeyedRateLimiter(
      createRedisWindowLimiter({ redis, prefix: `${prefix}:rate-limit:psn`, windows: [{ max: env.PSN_RATE_LIMIT_MAX, windowMs: env.PSN_RATE_LIMIT_WINDOW_MS + PSN_RATE_WINDOW_MARGIN_MS }] }),
    ),
  linking: psnLinking,
};
