import type { SandboxState } from './state.ts';

/** What every platform route plugin receives from app.ts. */
export interface SandboxContext {
  state: SandboxState;
  /** Aborted when the server starts closing: held (`timeout` fault) requests are released at once. */
  closing: AbortSignal;
}

export interface SandboxPluginOptions {
  sandbox: SandboxContext;
}
