import { z } from 'zod';
import { createPsnAuthClient, createPsnTrophyClient, linkPsnAccount, type PsnAuthClient, type PsnTrophyClient } from '@ach/platform-clients';
import { syncQueueName } from '@ach/queue';
import { LINK_TIMEOUT_MS } from '../link-timeout.ts';
import type { ClientHooks, PlatformLinking, PlatformModule } from '../platform-module.ts';
import { psnEnv, type PsnEnv } from './psn-env.ts';

export interface PsnClient {
  auth: PsnAuthClient;
  trophies: PsnTrophyClient;
}

function createPsnClient(env: PsnEnv, hooks: ClientHooks): PsnClient {
  return {
    auth: createPsnAuthClient({ authBaseUrl: env.PSN_AUTH_BASE_URL, apiBaseUrl: env.PSN_API_BASE_URL, http: hooks }),
    trophies: createPsnTrophyClient({ apiBaseUrl: env.PSN_API_BASE_URL, ...hooks }),
  };
}

const psnLinkBody = z.strictObject({ npsso: z.string().trim().min(10).max(512) });

/** PSN hands tokens only to the account's owner: the link proves ownership. */
const psnLinking: PlatformLinking<PsnEnv, z.output<typeof psnLinkBody>> = {
  bodySchema: psnLinkBody,
  summary: 'Link PSN: exchange an NPSSO for tokens, store them encrypted',
  provesOwnership: true,
  link: (body, { env }) => linkPsnAccount({ npsso: body.npsso }, { psnAuth: createPsnClient(env, { timeoutMs: LINK_TIMEOUT_MS }).auth }),
};

/** PlayStation Network. No adapter yet (the PSN sync issue adds it): its jobs wait in `sync-psn`. */
export const psn: PlatformModule<PsnEnv, PsnClient> = {
  id: 1,
  slug: 'psn',
  displayName: 'PlayStation Network',
  queueName: syncQueueName('psn'),
  env: psnEnv,
  createClient: createPsnClient,
  linking: psnLinking,
};
