import type { z } from 'zod';
import type { PlatformModule } from './platform-module.ts';

/** The worker's view of its platform's environment: the shared piece plus what only the worker needs. */
export function workerPlatformEnv(module: PlatformModule): z.ZodObject {
  return module.workerEnv ? module.env.extend(module.workerEnv.shape) : module.env;
}
