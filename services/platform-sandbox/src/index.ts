export { createSandbox, type Sandbox } from './app.ts';
export { startSandbox, type StartedSandbox } from './start-sandbox.ts';
export { createSandboxState } from './state.ts';
export { SandboxStateError } from './sandbox-state-error.ts';
export { DEMO_ACCOUNTS } from './demo-accounts.ts';
// Steam
export { DEFAULT_STEAM_ACCOUNTS, DEFAULT_STEAM_API_KEY, type SteamAccountOptions } from './steam/steam-state.ts';
export { appIdFor, DEFAULT_CATALOGUE_SHAPE, locateAppId } from './steam/steam-catalogue.ts';
// PSN
export { PSN_DEFAULT_ACCOUNTS, type PsnAccountSeed } from './psn/psn-accounts.ts';
export type { PsnLibraryOptions } from './psn/psn-library.ts';
export type { PsnLibraryView } from './psn/psn-trophy-state.ts';
export { MEAN_TROPHIES_PER_TITLE, npCommunicationIdFor, psnProgress } from './psn/psn-trophy-catalogue.ts';
