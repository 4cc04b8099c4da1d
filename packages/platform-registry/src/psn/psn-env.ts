import { z } from 'zod';
import { baseUrl } from '@ach/config';

export const psnEnv = z.object({
  PSN_AUTH_BASE_URL: baseUrl('https://ca.account.sony.com'),
  PSN_API_BASE_URL: baseUrl('https://m.np.playstation.com'),
});
export type PsnEnv = z.output<typeof psnEnv>;
