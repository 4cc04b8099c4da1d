import { z } from 'zod';
import { resolveSteamAccount } from '@ach/platform-clients';
import type { PlatformLinking } from '../platform-module.ts';
import { LINK_TIMEOUT_MS } from '../link-timeout.ts';
import { createSteamPlatformClient } from './steam-client-factory.ts';
import type { SteamEnv } from './steam-env.ts';

/** One object with both optional fields (not a union) so a 400 names the offending field. */
export const steamLinkBody = z
  .strictObject({
    steamId: z.string().regex(/^7656119\d{10}$/, 'must be a SteamID64 (17 digits, 7656119…)').optional(),
    vanity: z.string().min(2).max(32).regex(/^[A-Za-z0-9_-]+$/, 'must be a Steam custom URL name').optional(),
  })
  .refine((body) => (body.steamId === undefined) !== (body.vanity === undefined), {
    message: 'give exactly one of steamId or vanity',
    path: ['steamId'],
  });

/**
 * A SteamID64 or custom URL name typed in: proves nothing about ownership (Steam sign-in, the API's
 * `/accounts/steam/openid`, does), so the link is stored unverified; the profile must be public.
 */
export const steamLinking: PlatformLinking<SteamEnv, z.output<typeof steamLinkBody>> = {
  bodySchema: steamLinkBody,
  summary: 'Link Steam by SteamID64 or custom URL name (unverified; POST /accounts/steam/openid proves ownership); the profile must be public',
  provesOwnership: false,
  link: async (body, { env }) => {
    const steam = createSteamPlatformClient(env, { timeoutMs: LINK_TIMEOUT_MS });
    return resolveSteamAccount(body.steamId ? { steamId: body.steamId } : { vanity: body.vanity! }, { steam });
  },
};
