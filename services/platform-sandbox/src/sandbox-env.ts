import { z } from 'zod';
import { logEnv } from '@ach/config';

export const sandboxEnv = logEnv.extend({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  /** Comma-separated Steam keys the sandbox accepts. */
  SANDBOX_STEAM_API_KEYS: z
    .string()
    .default('sandbox-steam-key')
    .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
    .refine((keys) => keys.length > 0, { message: 'must name at least one key' }),
});
export type SandboxEnv = z.output<typeof sandboxEnv>;
