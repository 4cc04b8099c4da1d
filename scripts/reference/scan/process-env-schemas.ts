import type { z } from 'zod';
import { databaseEnv } from '@ach/config';
import { builtinPlatforms, workerPlatformEnv } from '@ach/platform-registry';
import { workerCoreEnv } from '@ach/sync-engine';
import { apiEnv } from '../../../services/api/src/api-env.ts';
import { monitorEnv } from '../../../services/monitor/src/monitor-env.ts';
import { sandboxEnv } from '../../../services/platform-sandbox/src/sandbox-env.ts';

/** A process and the one schema it parses its environment with at start-up. */
export interface ProcessEnvSchema {
  process: string;
  /** Where it is started from. */
  entry: string;
  /** How, when it is not `node <entry>`. */
  via?: string;
  schema: z.ZodObject;
}

/**
 * Every process that parses its environment, with the schema it really uses: the API's (its own
 * variables + every platform module's `env` piece), one per built-in platform worker
 * (`workerCoreEnv` + the module's `env` + `workerEnv`, as `runWorkerProcess` composes it), the
 * monitor's, the sandbox's and the migration CLI's.
 */
export function processEnvSchemas(): ProcessEnvSchema[] {
  return [
    { process: 'api', entry: 'services/api/src/server.ts', schema: apiEnv as unknown as z.ZodObject },
    ...builtinPlatforms.map((module) => ({
      process: `worker-${module.slug}`,
      entry: `services/worker-${module.slug}/src/main.ts`,
      via: '`runWorkerProcess`: `workerCoreEnv` + the module\'s `env` and `workerEnv`',
      schema: workerCoreEnv.extend(workerPlatformEnv(module).shape),
    })),
    { process: 'monitor', entry: 'services/monitor/src/main.ts', schema: monitorEnv as unknown as z.ZodObject },
    { process: 'platform-sandbox', entry: 'services/platform-sandbox/src/server.ts', schema: sandboxEnv },
    { process: 'db CLI', entry: 'packages/db/src/cli.ts', via: '`npm run db:migrate`, `db:migrate:down`, `db:status`', schema: databaseEnv },
  ];
}
