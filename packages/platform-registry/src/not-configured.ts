import { PlatformError } from '@ach/platform-clients';
import type { Platform } from '@ach/db';

/** A variable the platform needs is unset: kind `config` (the API answers 503, a sync fails with our own text). */
export const notConfigured = (platform: Platform, variable: string) =>
  new PlatformError({ kind: 'config', platform, endpoint: `${platform}.config`, message: `${variable} is not set` });
