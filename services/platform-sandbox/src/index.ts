export { createSandbox, type Sandbox, type SandboxOptions } from './app.ts';
export { startSandbox, type StartedSandbox } from './start-sandbox.ts';
export { createSandboxState, type SandboxState, type SandboxStateOptions } from './state.ts';
export type { SandboxContext, SandboxPluginOptions } from './sandbox-context.ts';
export { serveCall, send, type CannedResponse, type PlatformCall, type PlatformFaultResponses } from './serve-call.ts';
export { SandboxStateError } from './sandbox-state-error.ts';
export { FAULT_KINDS, faultSpecSchema, type ArmedFault, type FaultInjector, type FaultKind, type FaultSpec } from './faults.ts';
export { createCallCounter, type CallCounter, type CallSnapshot, type EndpointCalls } from './call-counter.ts';
export { seededRandom, type SeededRandom } from './synthetic/seeded-random.ts';
export { DEMO_ACCOUNTS } from './demo-accounts.ts';
// Steam
export {
  DEFAULT_STEAM_ACCOUNTS,
  DEFAULT_STEAM_API_KEY,
  STEAM_LIBRARY_EPOCH,
  steamAccountOptionsSchema,
  type SteamAccountOptions,
  type SteamAccountView,
  type SteamLibraryView,
  type SteamSandboxOptions,
  type SteamSandboxState,
} from './steam/steam-state.ts';
export { appIdFor, DEFAULT_CATALOGUE_SHAPE, locateAppId, type SteamCatalogueShape, type SteamGameDefinition } from './steam/steam-catalogue.ts';
export { STEAM_SANDBOX_ENDPOINTS } from './steam/steam-routes.ts';
// PSN
export { PSN_DEFAULT_ACCOUNTS, PSN_DEFAULT_AVATARS, type PsnAccountSeed } from './psn/psn-accounts.ts';
export type { PsnIssuedTokens, PsnSandboxAccount, PsnSandboxOptions, PsnSandboxState, PsnTokenKind } from './psn/psn-state.ts';
// Xbox
export { XBOX_DEFAULT_ACCOUNTS, type XboxAccountSeed } from './xbox/xbox-accounts.ts';
export type { IssuedXboxToken, XboxSandboxAccount, XboxSandboxOptions, XboxSandboxState, XboxTokenKind } from './xbox/xbox-state.ts';
