import { z } from 'zod';
import { baseUrl } from '@ach/config';

export const xboxEnv = z.object({
  /** The Microsoft app the user's refresh token was issued to; unset → Xbox links answer 503. */
  XBOX_CLIENT_ID: z.string().min(1).optional(),
  XBOX_MSA_BASE_URL: baseUrl('https://login.live.com'),
  XBOX_USER_AUTH_BASE_URL: baseUrl('https://user.auth.xboxlive.com'),
  XBOX_XSTS_BASE_URL: baseUrl('https://xsts.auth.xboxlive.com'),
  XBOX_ACHIEVEMENTS_BASE_URL: baseUrl('https://achievements.xboxlive.com'),
  XBOX_TITLEHUB_BASE_URL: baseUrl('https://titlehub.xboxlive.com'),
  XBOX_PROFILE_BASE_URL: baseUrl('https://profile.xboxlive.com'),
});
export type XboxEnv = z.output<typeof xboxEnv>;
