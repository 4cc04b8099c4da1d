import type { Logger } from '@ach/observability';

export interface ShutdownOptions {
  log: Logger;
  /** After this, cleanup is abandoned and the process exits non-zero: an orchestrator's kill is worse. */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * Runs `cleanup` once on the first SIGTERM/SIGINT, then exits. A second signal while cleaning up
 * exits at once, so an operator's double Ctrl-C is always obeyed.
 */
export function onShutdown(options: ShutdownOptions, cleanup: (signal: NodeJS.Signals) => Promise<void>): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 25_000;
  let shuttingDown = false;
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      if (shuttingDown) {
        options.log.warn({ signal }, 'second signal during shutdown: exiting now');
        exit(1);
        return;
      }
      shuttingDown = true;
      options.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        options.log.error({ timeoutMs }, 'shutdown timed out');
        exit(1);
      }, timeoutMs);
      timer.unref();
      cleanup(signal).then(
        () => {
          clearTimeout(timer);
          options.log.info('shutdown complete');
          exit(0);
        },
        (error: unknown) => {
          clearTimeout(timer);
          options.log.error({ err: error }, 'shutdown failed');
          exit(1);
        },
      );
    });
  }
}
