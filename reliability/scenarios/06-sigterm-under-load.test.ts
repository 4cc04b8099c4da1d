import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlatforms } from '@ach/platform-registry';
import { startHttpLoad, type LoadRequest } from '../support/http-load.ts';
import { sandboxAccountKit, type RequestWindow } from '../support/sandbox-account-kits.ts';
import { linkAccount, requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, waitFor, type RunningSystem, type ServiceKind, type ServiceProcess } from '../support/system-under-test.ts';

/**
 * "SIGTERM to every service under load: in-flight HTTP requests complete, active jobs finish or are
 * handed back, exit code 0."
 *
 * Several users sync every platform while a steady stream of API requests (GET /me/games, POST /sync)
 * and one live-progress stream per user run; then every process gets SIGTERM at once. Every request
 * the API had received must get a whole answer (2xx, 4xx or 503 — never a reset socket), every
 * process must exit 0, and every accepted run must be finished or left where a restarted system
 * finishes it: the services are started again and every accepted run must end `succeeded`.
 */
const USERS = 3;
const LIBRARY = { titles: 30, achievementsPerTitle: 10 };
/** Per-account call budget (PSN, Xbox; Steam's key bucket paces the same way): runs last several seconds. */
const PACE: RequestWindow = { max: 10, seconds: 1 };
/** Short, so runs still going after it are handed back — the path that can lose work — rather than waited for. */
const WORKER_GRACE = { SHUTDOWN_GRACE_MS: '2000' };
/** A process that has not exited by then is a hung shutdown (the services' own timeouts are shorter). */
const EXIT_DEADLINE_MS = 30_000;

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem({
    label: 'sigterm-under-load',
    envFor: Object.fromEntries(builtinPlatforms.map((p) => [`worker-${p.slug}`, { ...WORKER_GRACE, ...sandboxAccountKit(p).requestWindow?.workerEnv(PACE) }])),
  });
});
afterAll(async () => {
  await system?.stop();
});

/** The request ids the API logged as received (Fastify's `incoming request` line carries our `x-request-id`). */
function requestsReceived(api: ServiceProcess): Set<string> {
  const ids = new Set<string>();
  for (const line of api.lines) {
    if (!line.includes('incoming request')) continue;
    try {
      const parsed = JSON.parse(line) as { msg?: string; reqId?: string };
      if (parsed.msg === 'incoming request' && parsed.reqId) ids.add(parsed.reqId);
    } catch {
      // not a log line
    }
  }
  return ids;
}

interface EventStream {
  /** Resolves once the API answered with the stream's status line and headers: it is in flight from then on. */
  opened: Promise<number>;
  /** The whole stream once it ended: its text, or how it broke. */
  ended: Promise<{ text?: string; error?: string }>;
}

/** A live-progress stream (GET /sync/:platform/events), read to its end. */
function openEventStream(authorization: string, platform: string): EventStream {
  const response = fetch(`${system.apiUrl}/sync/${platform}/events`, { headers: { authorization, accept: 'text/event-stream' } });
  const failure = (error: unknown) => {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: `${cause?.code ?? ''} ${cause?.message ?? (error as Error).message}` };
  };
  return {
    opened: response.then((res) => res.status),
    ended: response.then(
      (res) => res.text().then((text) => ({ text }), failure),
      failure,
    ),
  };
}

/** SIGTERM, and the exit code — or a failure if the process hangs (then it is killed, so the test ends). */
async function terminate(service: ServiceProcess): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      service.child.kill('SIGKILL');
      resolve(`still running ${EXIT_DEADLINE_MS} ms after SIGTERM`);
    }, EXIT_DEADLINE_MS);
  });
  const code = await Promise.race([system.signal(service, 'SIGTERM'), hung]);
  clearTimeout(timer);
  return code;
}

const countBy = <T,>(items: readonly T[], key: (item: T) => string) =>
  items.reduce<Record<string, number>>((counts, item) => ({ ...counts, [key(item)]: (counts[key(item)] ?? 0) + 1 }), {});

const acceptedSyncId = (r: LoadRequest) => (r.status === 202 ? (r.body as { syncId?: string }).syncId : undefined);

describe('SIGTERM to every service under load', () => {
  it('answers every request it received, exits 0 everywhere, and a restarted system finishes every accepted run', async () => {
    const platforms = builtinPlatforms.map((p) => p.slug);
    const users: { userId: string; authorization: string }[] = [];
    let accountNumber = 0;
    for (let u = 0; u < USERS; u++) {
      const user = await system.signUp();
      for (const platform of builtinPlatforms) {
        await linkAccount(system, user.authorization, platform.slug, sandboxAccountKit(platform).create(system.sandbox.state, accountNumber++, LIBRARY).linkBody);
      }
      users.push(user);
    }
    const accepted = new Set<string>();
    for (const user of users) for (const platform of platforms) accepted.add(await requestSync(system, user.authorization, platform, 'full'));

    // Long requests certainly in flight at the signal, next to the stream of short ones.
    const streams = users.map((user, i) => openEventStream(user.authorization, platforms[i % platforms.length]!));
    expect(await Promise.all(streams.map((s) => s.opened))).toEqual(streams.map(() => 200));
    const load = startHttpLoad(
      system.apiUrl,
      (n) => {
        const user = users[n % USERS]!;
        return n % 3 === 2
          ? { method: 'POST', path: `/sync/${platforms[n % platforms.length]}`, authorization: user.authorization, body: { mode: 'full' } }
          : { method: 'GET', path: '/me/games', authorization: user.authorization };
      },
      { concurrency: 6 },
    );

    // Under load: a run in progress on every platform, and the request stream flowing.
    await waitFor(
      'a running run on every platform',
      async () => {
        const running = await system.db.selectFrom('sync_logs').select('platform_id').distinct().where('id', 'in', [...accepted]).where('status', '=', 'running').execute();
        return running.length === platforms.length;
      },
      30_000,
    );
    await waitFor('the request stream to flow', () => load.requests.filter((r) => r.status !== undefined).length >= 30, 15_000);

    // From now on the calls of every other platform hang (a slow platform): its runs cannot end within
    // the grace period and must be handed back; the other platforms' runs finish or are handed back.
    for (const platform of builtinPlatforms.filter((_, i) => i % 2 === 0)) {
      for (const endpoint of sandboxAccountKit(platform).syncEndpoints) system.sandbox.state.faults.add({ endpoint, kind: 'timeout', holdMs: 60_000, count: 100_000 });
    }

    const original = [...system.services];
    const signalAt = Date.now();
    const exits = await Promise.all(
      original.map(async (s) => {
        const code = await terminate(s);
        // The API is gone: what the load would send from here on can only be refused.
        if (s.kind === 'api') await load.stop();
        return [s.name, code] as const;
      }),
    );
    const streamEnds = await Promise.all(streams.map((s) => s.ended));
    system.sandbox.state.faults.clear();

    // Every process exited by itself, with 0.
    expect(Object.fromEntries(exits)).toEqual(Object.fromEntries(original.map((s) => [s.name, 0])));

    // Every request the API received got a whole answer, and none a 5xx other than 503.
    const received = requestsReceived(original.find((s) => s.kind === 'api')!);
    const cutOff = load.requests.filter((r) => r.error !== undefined && received.has(r.id));
    const badStatus = load.requests.filter((r) => r.status !== undefined && r.status >= 500 && r.status !== 503);
    const inFlightAtSignal = load.requests.filter((r) => received.has(r.id) && r.startedAt <= signalAt && (r.endedAt ?? Infinity) >= signalAt);
    const refusedAfter = load.requests.filter((r) => r.error !== undefined && !received.has(r.id));
    console.log(
      `${load.requests.length} requests: ${inFlightAtSignal.length} in flight at the signal, ${refusedAfter.length} never received (sent while or after the API closed); ` +
        `answers ${JSON.stringify(countBy(load.requests, (r) => String(r.status ?? r.error)))}`,
    );
    expect(cutOff).toEqual([]);
    // The log is a faithful witness: every request answered with a success is in it.
    expect(load.requests.filter((r) => r.status !== undefined && r.status < 300 && !received.has(r.id))).toEqual([]);
    expect(badStatus).toEqual([]);
    expect(inFlightAtSignal.length).toBeGreaterThan(0);
    // The live-progress streams ended cleanly: told to reconnect (shutdown) or that their run ended.
    for (const end of streamEnds) {
      expect(end.error).toBeUndefined();
      expect(end.text).toMatch(/event: (reconnect|end)/);
    }

    // Every accepted run is finished, or waiting where a restarted system picks it up.
    for (const r of load.requests) {
      const id = acceptedSyncId(r);
      if (id) accepted.add(id);
    }
    const ids = [...accepted];
    const states = await system.db.selectFrom('sync_logs').select(['id', 'status', 'error_code']).where('id', 'in', ids).execute();
    expect(states.filter((s) => !['succeeded', 'queued', 'running'].includes(s.status))).toEqual([]);
    const handedBack = states.filter((s) => s.status !== 'succeeded').length;
    console.log(`${ids.length} accepted runs: ${ids.length - handedBack} finished before exit, ${handedBack} left queued or handed back`);

    // Restart: nothing accepted is lost.
    for (const kind of new Set<ServiceKind>(original.map((s) => s.kind))) await system.startService(kind);
    await system.waitReady();
    const runs = await waitForRunsToEnd(system, ids, 60_000);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
  });
});
