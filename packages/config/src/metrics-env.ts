import { z } from 'zod';
import { optionalSecretOfAtLeast } from './secret-env.ts';

/** When set (≥ 16 characters), a process's `/metrics` wants `Authorization: Bearer <METRICS_TOKEN>`; unset, it is public. */
export const metricsEnv = z.object({
  METRICS_TOKEN: optionalSecretOfAtLeast(16),
});
