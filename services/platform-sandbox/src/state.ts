import { createCallCounter, type CallCounter } from './call-counter.ts';
import { createFaultInjector, type FaultInjector } from './faults.ts';
import { createPsnSandboxState, type PsnSandboxOptions, type PsnSandboxState } from './psn/psn-state.ts';
import { createSteamOpenIdSandboxState, type SteamOpenIdSandboxState } from './steam/steam-openid-state.ts';
import { createSteamSandboxState, type SteamSandboxOptions, type SteamSandboxState } from './steam/steam-state.ts';
import { createXboxSandboxState, type XboxSandboxOptions, type XboxSandboxState } from './xbox/xbox-state.ts';

export interface SandboxStateOptions {
  steam?: SteamSandboxOptions;
  psn?: PsnSandboxOptions;
  xbox?: XboxSandboxOptions;
}

/**
 * Everything the sandbox knows, in one object: the per-platform worlds, armed faults and call counts.
 * Tests that run the sandbox in-process change it directly; others use the admin API, which calls the
 * same functions.
 */
export interface SandboxState {
  steam: SteamSandboxState;
  /** Steam's OpenID sign-in provider (steamcommunity.com/openid). */
  steamOpenId: SteamOpenIdSandboxState;
  psn: PsnSandboxState;
  xbox: XboxSandboxState;
  faults: FaultInjector;
  calls: CallCounter;
  /** Default accounts back, faults disarmed, counts cleared. */
  reset(): void;
}

export function createSandboxState(options: SandboxStateOptions = {}): SandboxState {
  const state: SandboxState = {
    steam: createSteamSandboxState(options.steam),
    steamOpenId: createSteamOpenIdSandboxState(),
    psn: createPsnSandboxState(options.psn),
    xbox: createXboxSandboxState(options.xbox),
    faults: createFaultInjector(),
    calls: createCallCounter(),
    reset() {
      state.steam.reset();
      state.steamOpenId.reset();
      state.psn.reset();
      state.xbox.reset();
      state.faults.clear();
      state.calls.clear();
    },
  };
  return state;
}
