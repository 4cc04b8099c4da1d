import type { SteamClient } from '@ach/platform-clients';
import { syncQueueName } from '@ach/queue';
import { createRedisTokenBucket } from '@ach/sync-engine';
import type { PlatformModule } from '../platform-module.ts';
import { createSteamAdapter } from './steam-adapter.ts';
import { createSteamPlatformClient } from './steam-client-factory.ts';
import { steamEnv, steamWorkerEnv, type SteamEnv, type SteamWorkerEnv } from './steam-env.ts';
import { steamLinking } from './steam-linking.ts';

/** Steam Web API: a public profile's games and achievements, read with the server's key. */
export const steam: PlatformModule<SteamEnv, SteamClient, SteamWorkerEnv> = {
  id: 3,
  slug: 'steam',
  displayName: 'Steam',
  queueName: syncQueueName('steam'),
  env: steamEnv,
  workerEnv: steamWorkerEnv,
  createClient: createSteamPlatformClient,
  createAdapter: ({ client, platform }) => createSteamAdapter(client, platform),
  workerLimiter: ({ env, redis, prefix }) => createRedisTokenBucket({ redis, key: `${prefix}:rate-limit:steam`, ratePerSecond: env.STEAM_RATE_LIMIT_PER_SECOND }),
  linking: steamLinking,
};
