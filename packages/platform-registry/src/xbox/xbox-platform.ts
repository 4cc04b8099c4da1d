import { z } from 'zod';
import { linkXboxAccount } from '@ach/platform-clients';
import { syncQueueName } from '@ach/queue';
import { createKeyedRateLimiter, createRedisWindowLimiter } from '@ach/sync-engine';
import { LINK_TIMEOUT_MS } from '../link-timeout.ts';
import type { PlatformLinking, PlatformModule } from '../platform-module.ts';
import { createXboxAdapter } from './xbox-adapter.ts';
import { createXboxClient, type XboxClient } from './xbox-client-factory.ts';
import { xboxEnv, xboxWorkerEnv, type XboxEnv, type XboxWorkerEnv } from './xbox-env.ts';

export type { XboxClient } from './xbox-client-factory.ts';

/**
 * Added to each window: Xbox counts a call when it arrives, a varying network (and event-loop) delay
 * after our grant, so calls granted just over a window apart could still land inside one of its windows.
 */
export const XBOX_RATE_WINDOW_MARGIN_MS = 500;

const xboxLinkBody = z.strictObject({ refreshToken: z.string().trim().min(10).max(8192) });

/** Microsoft hands tokens only to the account's owner: the link proves ownership. */
const xboxLinking: PlatformLinking<XboxEnv, z.output<typeof xboxLinkBody>> = {
  bodySchema: xboxLinkBody,
  summary: 'Link Xbox: Microsoft refresh token → user token → XSTS, stored encrypted',
  provesOwnership: true,
  link: async (body, { env }) =>
    linkXboxAccount({ refreshToken: body.refreshToken }, { xboxAuth: createXboxClient(env, { timeoutMs: LINK_TIMEOUT_MS }).auth() }),
};

/**
 * Xbox Live: Xbox One/Series and Xbox 360 achievements of the signed-in user (adapter:
 * `xbox-adapter.ts`; tokens: `xbox-session.ts`; mapping: `xbox-mapping.ts`).
 */
export const xbox: PlatformModule<XboxEnv, XboxClient, XboxWorkerEnv> = {
  id: 2,
  slug: 'xbox',
  displayName: 'Xbox Live',
  queueName: syncQueueName('xbox'),
  env: xboxEnv,
  workerEnv: xboxWorkerEnv,
  createClient: createXboxClient,
  createAdapter: ({ platform, client, limiter }) => createXboxAdapter({ platform, client, limiter }),
  // Per user and service, both of Xbox Live's windows at once, shared by every replica.
  workerLimiter: ({ env, redis, prefix }) =>
    createKeyedRateLimiter(
      createRedisWindowLimiter({
        redis,
        prefix: `${prefix}:rate-limit:xbox`,
        windows: [
          { max: env.XBOX_RATE_LIMIT_MAX, windowMs: env.XBOX_RATE_LIMIT_WINDOW_MS + XBOX_RATE_WINDOW_MARGIN_MS },
          { max: env.XBOX_RATE_LIMIT_SUSTAIN_MAX, windowMs: env.XBOX_RATE_LIMIT_SUSTAIN_WINDOW_MS + XBOX_RATE_WINDOW_MARGIN_MS },
        ],
      }),
    ),
  linking: xboxLinking,
};
