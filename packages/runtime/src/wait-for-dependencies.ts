import type { Logger } from '@ach/observability';

export interface Dependency {
  name: string;
  ping: () => Promise<unknown>;
}

/**
 * Containers start in any order: keep pinging Postgres/Redis until they answer or `timeoutMs`
 * passes, instead of crash-looping on the first refused connection.
 */
export async function waitForDependencies(deps: Dependency[], options: { log: Logger; timeoutMs?: number; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (const dep of deps) {
    for (let attempt = 1; ; attempt++) {
      try {
        await dep.ping();
        options.log.debug({ dependency: dep.name }, 'dependency answered');
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${dep.name} did not answer: ${(error as Error).message}`);
        if (attempt === 1 || attempt % 10 === 0) options.log.warn({ dependency: dep.name, attempt, err: (error as Error).message }, 'waiting for dependency');
        await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
      }
    }
  }
}
