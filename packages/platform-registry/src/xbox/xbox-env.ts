import { z } from 'zod';
import { baseUrl } from '@ach/config';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

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

/**
 * The worker's additions: Xbox Live's per-user call budget, as Microsoft documents it for the
 * achievements service — a burst window (100 calls per 15 s) and a sustained one (300 per 300 s),
 * both counting at once — shared by every replica (Redis sliding log).
 */
export const xboxWorkerEnv = z.object({
  XBOX_RATE_LIMIT_MAX: positiveInt(100),
  XBOX_RATE_LIMIT_WINDOW_MS: positiveInt(15_000),
  XBOX_RATE_LIMIT_SUSTAIN_MAX: positiveInt(300),
  XBOX_RATE_LIMIT_SUSTAIN_WINDOW_MS: positiveInt(300_000),
});
export type XboxWorkerEnv = XboxEnv & z.output<typeof xboxWorkerEnv>;
