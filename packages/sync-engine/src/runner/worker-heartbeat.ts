import { rm, writeFile } from 'node:fs/promises';
import type { Logger } from '@ach/observability';

export interface WorkerHeartbeatOptions {
  /** The file a container healthcheck reads (WORKER_HEARTBEAT_FILE): its content is the time of the last healthy check, in ms. */
  file: string;
  /** How often the dependencies are checked and, when healthy, the file rewritten. */
  everyMs: number;
  /** Resolves when the process can do its work (Redis and Postgres answer); rejects or false otherwise. */
  isHealthy: () => Promise<boolean>;
  log: Logger;
}

export interface WorkerHeartbeat {
  /** Stops beating and removes the file, so a process shutting down is not reported healthy. */
  stop(): Promise<void>;
}

/**
 * A worker has no HTTP port: it reports health as a file it keeps fresh while Redis and Postgres
 * answer. A check reads its age (`now - content < limit`), so a hung event loop, a lost
 * connection and a dead process all look the same — stale — and no port has to be shared by replicas.
 */
export function startWorkerHeartbeat(options: WorkerHeartbeatOptions): WorkerHeartbeat {
  let stopped = false;
  let running: Promise<void> | undefined;
  let wasHealthy = true;

  const beat = async () => {
    let healthy: boolean;
    try {
      // Bounded: a half-open connection must make the heartbeat stale, not hang it.
      healthy = await Promise.race([
        options.isHealthy(),
        new Promise<boolean>((resolve) => setTimeout(resolve, options.everyMs, false).unref()),
      ]);
    } catch {
      healthy = false;
    }
    if (stopped) return;
    if (healthy !== wasHealthy) {
      if (healthy) options.log.info('dependencies answer again; heartbeat resumed');
      else options.log.warn({ file: options.file }, 'a dependency does not answer; heartbeat paused');
      wasHealthy = healthy;
    }
    if (!healthy) return;
    await writeFile(options.file, String(Date.now())).catch((error: unknown) => options.log.error({ err: error, file: options.file }, 'cannot write the heartbeat file'));
  };

  const tick = () => {
    // One check at a time: a slow one is not stacked under the next.
    running ??= beat().finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, options.everyMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await rm(options.file, { force: true });
    },
  };
}
