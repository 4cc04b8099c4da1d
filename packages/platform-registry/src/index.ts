export type { AdapterDeps, ClientHooks, LinkedAccount, PlatformLinking, PlatformModule } from './platform-module.ts';
export { createPlatformRegistry, UnknownPlatformError, type PlatformRegistry } from './create-platform-registry.ts';
export { workerPlatformEnv } from './platform-env.ts';
export { builtinPlatformRegistry, builtinPlatforms } from './builtin-platforms.ts';
export { LINK_TIMEOUT_MS } from './link-timeout.ts';
export { notConfigured } from './not-configured.ts';
// The built-in modules, and what their clients are (for code that wires one directly, e.g. tests).
export { psn, type PsnClient } from './psn/psn-platform.ts';
export { psnEnv, psnWorkerEnv, type PsnEnv, type PsnWorkerEnv } from './psn/psn-env.ts';
export { createPsnAdapter, type PsnAdapterOptions } from './psn/psn-adapter.ts';
export { xbox, type XboxClient } from './xbox/xbox-platform.ts';
export { xboxEnv, xboxWorkerEnv, type XboxEnv, type XboxWorkerEnv } from './xbox/xbox-env.ts';
export { createXboxAdapter, type XboxAdapterOptions } from './xbox/xbox-adapter.ts';
export { steam } from './steam/steam-platform.ts';
export { createSteamAdapter } from './steam/steam-adapter.ts';
export { steamEnv, steamWorkerEnv, type SteamEnv, type SteamWorkerEnv } from './steam/steam-env.ts';
