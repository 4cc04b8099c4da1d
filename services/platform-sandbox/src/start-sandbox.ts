import { createSandbox, type SandboxOptions } from './app.ts';
import type { SandboxState } from './state.ts';

export interface StartedSandbox {
  /** `http://host:port`: the base URL for every platform client. */
  url: string;
  state: SandboxState;
  close(): Promise<void>;
}

/** For tests, the demo and benchmarks: a listening sandbox in this process (`port: 0` = any free port). */
export async function startSandbox(options: SandboxOptions & { port?: number; host?: string } = {}): Promise<StartedSandbox> {
  const { app, state } = createSandbox(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, state, close: () => app.close() };
}
