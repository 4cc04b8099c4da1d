import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import { builtinPlatforms } from '@ach/platform-registry';
import { sandboxAccountKit, type LibrarySize, type RequestWindow } from '../support/sandbox-account-kits.ts';
import { progressParityBreaches, storedLibraryCounts } from '../support/stored-library.ts';
import { linkOwnSandboxAccounts, windowedWorkerEnv, type LinkedSandboxAccount } from '../support/linked-sandbox-accounts.ts';
import { requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, type RunningSystem } from '../support/system-under-test.ts';

/**
 * "The sandbox serves 429s, 500s, timeouts and garbage for a while: no crash, platform limits never
 * exceeded, all syncs converge once it behaves."
 *
 * Every platform's sync endpoints answer, request after request, a 429 (Retry-After 1 s), a 500, a
 * held request ending in a 504, a JSON body cut in half and an HTML maintenance page, while several
 * users' full syncs run; PSN and Xbox accounts have request windows (scaled down from the platforms'
 * own, and given to the workers as their budget) that their libraries need several of. Then the faults
 * are disarmed: every run must have ended (succeeded, or failed with a code), no process may have died,
 * the platforms must never have refused a call because an account's window was full, and a final sync
 * of everyone must store exactly each sandbox library.
 */
const USERS = 3;
/** PSN takes only the title count (≈25 trophies each); 30 titles ≈ 75 calls (≈ 31 with the definitions cached), i.e. 2–4 windows. */
const LIBRARY: LibrarySize = { titles: 30, achievementsPerTitle: 6 };
const WINDOW: RequestWindow = { max: 20, seconds: 3 };
/** How long the platforms misbehave; faults not consumed by then are disarmed. */
const MISBEHAVING_MS = 8_000;
const FAULT_ROUNDS = 2;
const FAULTS = [
  { kind: 'rate_limited', retryAfterSeconds: 1 },
  { kind: 'server_error' },
  { kind: 'timeout', holdMs: 1_500 },
  { kind: 'malformed_json' },
  { kind: 'garbage' },
] as const;

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem({ label: 'platform-misbehaves', envFor: windowedWorkerEnv(WINDOW) });
});
afterAll(async () => {
  await system?.stop();
});

/** Arms, per sync endpoint of every platform, the fault kinds in turn: successive requests meet successive kinds. */
function armFaults() {
  const faults = system.sandbox.state.faults;
  return builtinPlatforms.flatMap((platform) =>
    sandboxAccountKit(platform).syncEndpoints.flatMap((endpoint) =>
      Array.from({ length: FAULT_ROUNDS }, () => FAULTS.map((spec) => ({ platform: platform.slug, fault: faults.add({ endpoint, count: 1, ...spec }) }))).flat(),
    ),
  );
}

const syncAll = (linked: LinkedSandboxAccount[]) => Promise.all(linked.map((l) => requestSync(system, l.authorization, l.platform.slug, 'full')));

function exitedServices(): string[] {
  return system.services.filter((s) => s.child.exitCode !== null || s.child.signalCode !== null).map((s) => `${s.name}: ${s.child.exitCode ?? s.child.signalCode}`);
}

describe('platforms misbehave for a while', () => {
  it('no crash, no platform limit exceeded, every run ends, and everything converges once they behave', async () => {
    const linked = await linkOwnSandboxAccounts(system, { users: USERS, library: LIBRARY, window: WINDOW });
    const armed = armFaults();
    const ids = await syncAll(linked);

    await new Promise((resolve) => setTimeout(resolve, MISBEHAVING_MS));
    const stillArmed = new Set(system.sandbox.state.faults.list().map((f) => f.id));
    system.sandbox.state.faults.clear();
    const fired = armed.filter((a) => !stillArmed.has(a.fault.id));
    expect(exitedServices()).toEqual([]);
    // The scenario means something only if every kind of misbehaviour reached every platform's worker.
    expect(new Set(fired.map((a) => `${a.platform} ${a.fault.kind}`))).toEqual(new Set(builtinPlatforms.flatMap((p) => FAULTS.map((f) => `${p.slug} ${f.kind}`))));

    const runs = await waitForRunsToEnd(system, ids, 90_000);
    expect(runs.filter((r) => r.status !== 'succeeded' && !(r.status === 'failed' && r.error_code))).toEqual([]);
    expect(exitedServices()).toEqual([]);

    const final = await waitForRunsToEnd(system, await syncAll(linked), 60_000);
    expect(final.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // …and the windows had to pace them: each windowed sync needed more calls than one window allows.
    const finalStats = await system.db.selectFrom('sync_logs').select(['platform_id', 'stats']).where('id', 'in', final.map((r) => r.id)).execute();
    const windowed = new Set(builtinPlatforms.filter((p) => sandboxAccountKit(p).requestWindow).map((p) => p.id));
    for (const { stats } of finalStats.filter((r) => windowed.has(r.platform_id))) {
      expect((stats as unknown as { apiCallsTotal: number }).apiCallsTotal).toBeGreaterThan(WINDOW.max);
    }
    for (const l of linked) {
      const expected = sandboxAccountKit(l.platform).library(system.sandbox.state, l.externalId);
      expect({ platform: l.platform.slug, user: l.userId, ...(await storedLibraryCounts(system.db, l.userId, l.platform.id)) }).toEqual({
        platform: l.platform.slug,
        user: l.userId,
        ...expected,
      });
    }
    expect(await progressParityBreaches(system.db)).toEqual([]);
    expect(await parityBreaches(system.db)).toEqual([]);

    // Only injected faults answered 429: no account's own window was ever full.
    expect(system.sandbox.state.throttled.snapshot()).toEqual({});
    expect(exitedServices()).toEqual([]);
    const codes = await system.stop();
    expect(Object.entries(codes).filter(([, code]) => code !== 0)).toEqual([]);
  });
});
