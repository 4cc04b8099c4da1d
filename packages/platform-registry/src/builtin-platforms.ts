import { createPlatformRegistry } from './create-platform-registry.ts';
import type { PlatformModule } from './platform-module.ts';
import { psn } from './psn/psn-platform.ts';
import { steam } from './steam/steam-platform.ts';
import { xbox } from './xbox/xbox-platform.ts';

/** The platforms this build ships, in `platforms.id` order (migration 0001 inserts their rows). */
export const builtinPlatforms: readonly PlatformModule[] = [psn, xbox, steam];

/** The registry of the built-in platforms: what the processes run with. */
export const builtinPlatformRegistry = () => createPlatformRegistry(builtinPlatforms);
