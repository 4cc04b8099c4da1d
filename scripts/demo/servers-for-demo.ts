/**
 * The Postgres and Redis the demo runs on: the configured ones when they answer; otherwise, when
 * this machine has the binaries, a throwaway server of our own (the one the tests use, out of the
 * terminal's process group so Ctrl-C does not stop it before the services using it). A throwaway
 * server is stopped and deleted by remove(); nothing of it outlives the demo.
 */
import { findOnPath, findPostgresBinDir, startOwnPostgres, startOwnRedis } from '@ach/testing/own-servers';
import { postgresAnswers, redisAnswers } from './server-probes.ts';

export interface DemoServer {
  /** The URL the demo and its services use. */
  url: string;
  /** One line for the user when a throwaway server stands in for the configured one. */
  notice?: string;
  /** Stops and deletes a throwaway server; does nothing for a configured one. */
  remove: () => Promise<void>;
}

const PROBE_TIMEOUT_MS = 2_000;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export async function postgresForDemo(
  configuredUrl: string,
  deps: { probeTimeoutMs?: number; findBinDir?: () => string | undefined } = {},
): Promise<DemoServer> {
  if (await postgresAnswers(configuredUrl, deps.probeTimeoutMs ?? PROBE_TIMEOUT_MS)) return { url: configuredUrl, remove: async () => {} };
  const silent = `DATABASE_URL (${redactUrl(configuredUrl)}) does not answer`;
  const binDir = (deps.findBinDir ?? findPostgresBinDir)();
  if (!binDir) {
    throw new Error(
      `${silent}, and there is no local Postgres to start a throwaway one (initdb and pg_ctl in PG_BIN, /usr/lib/postgresql/<version>/bin or on PATH). ` +
        'Start Postgres or set DATABASE_URL to one that answers.',
    );
  }
  const own = await startOwnPostgres({ binDir }).catch((error: unknown) => {
    throw new Error(`${silent}, and starting a throwaway Postgres (${binDir}) failed: ${(error as Error).message}`);
  });
  // Same database name as configured; the demo creates it.
  const url = new URL(own.url);
  url.pathname = URL.parse(configuredUrl)?.pathname.replace(/^\/$/, '') || '/achievements';
  return {
    url: url.toString(),
    notice: `${silent}: started a throwaway Postgres at ${url} (data in ${own.dir}); it and everything in it are deleted when the demo exits.`,
    remove: own.destroy,
  };
}

export async function redisForDemo(
  configuredUrl: string,
  deps: { probeTimeoutMs?: number; redisServerInstalled?: () => boolean } = {},
): Promise<DemoServer> {
  if (await redisAnswers(configuredUrl, deps.probeTimeoutMs ?? PROBE_TIMEOUT_MS)) return { url: configuredUrl, remove: async () => {} };
  const silent = `REDIS_URL (${redactUrl(configuredUrl)}) does not answer`;
  const installed = deps.redisServerInstalled ?? (() => findOnPath(['redis-server', 'redis-cli']) !== undefined);
  if (!installed()) {
    throw new Error(
      `${silent}, and there is no local redis-server to start a throwaway one (redis-server and redis-cli on PATH). ` +
        'Start Redis or set REDIS_URL to one that answers.',
    );
  }
  const own = await startOwnRedis({ detached: true }).catch((error: unknown) => {
    throw new Error(`${silent}, and starting a throwaway redis-server failed: ${(error as Error).message}`);
  });
  return {
    url: own.url,
    notice: `${silent}: started a throwaway redis-server at ${own.url} (nothing saved to disk); its data is gone when the demo exits.`,
    remove: own.stop,
  };
}
