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
  /**
   * Requests a platform refused with its own 429 because the caller's request window was full (PSN's and
   * Xbox's per-account windows), not because a fault was armed: tests assert a client never earns one.
   */
  throttled: CallCounter;
  /** Every token and code the platforms issued since the last reset (not the seeded credentials users paste). */
  issuedSecrets(): string[];
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
    throttled: createCallCounter(),
    issuedSecrets: () => [...state.psn.issuedSecrets(), ...state.xbox.issuedSecrets()],
    reset() {
      state.steam.reset();
      state.steamOpenId.reset();
      state.psn.reset();
      state.xbox.reset();
      state.faults.clear();
      state.calls.clear();
      state.throttled.clear();
    },
  };
  return state;
}
