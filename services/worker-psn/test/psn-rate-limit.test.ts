import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPsnSyncHarness, type PsnSyncHarness } from './support/psn-sync-harness.ts';
import { differencesFromSandbox } from './support/psn-expectations.ts';

/**
 * PSN's per-account request window, with the sandbox enforcing it (429 + X-RateLimit-Next-Available,
 * no Retry-After): our shared limiter keeps under it; and when something else spends the budget, the
 * 429s are waited out as PSN says, not retried blindly and not counted as attempts.
 */
const N = 25;
let paced: PsnSyncHarness;
let unpaced: PsnSyncHarness;

beforeAll(async () => {
  // Exactly PSN's budget, as an operator configures it: the worker adds its own margin for the time
  // between a grant and the request's arrival (PSN_RATE_WINDOW_MARGIN_MS; without it about every
  // other run here met a 429 at a window edge).
  paced = await createPsnSyncHarness({ env: { PSN_RATE_LIMIT_MAX: String(N), PSN_RATE_LIMIT_WINDOW_MS: '1000' } });
  unpaced = await createPsnSyncHarness({ env: { PSN_RATE_LIMIT_MAX: '100000', PSN_RATE_LIMIT_WINDOW_MS: '1000' } });
  await Promise.all([paced.startWorker(), unpaced.startWorker()]);
});
afterAll(async () => {
  await paced?.close();
  await unpaced?.close();
});

const sandboxCalls = (h: PsnSyncHarness) => Object.values(h.sandbox.state.calls.snapshot()).reduce((n, e) => n + e.total, 0);

describe('PSN call budget', () => {
  it(`the sandbox allows ${N} calls per second per account; a library needing more than 3×${N} calls completes without a single 429`, async () => {
    const account = paced.addAccount({ titles: 40, earnedRatio: 0.5 });
    const user = await paced.createUser();
    await paced.link(user, account);
    paced.sandbox.state.psn.trophies.setRateLimit(account.accountId, { limit: N, windowSeconds: 1 });
    paced.sandbox.state.calls.clear();

    const run = await paced.sync(user, 'incremental', 120_000);
    expect(run.status, run.error_message ?? '').toBe('succeeded');
    expect(sandboxCalls(paced)).toBeGreaterThan(3 * N);
    // Never over PSN's budget: the sandbox refused nothing (it answers 429 past the limit).
    expect(run.stats.apiCallsFailed).toBe(0);
    expect(run.stats.apiCallsTotal).toBe(sandboxCalls(paced));
    expect(run.attempts).toBe(1);
    expect(await differencesFromSandbox(paced.db, paced.sandbox, account.accountId, user)).toEqual([]);
  });

  it('when the budget is spent anyway, every 429 is waited out until X-RateLimit-Next-Available: the sync completes, no attempt is counted', async () => {
    const account = unpaced.addAccount({ titles: 40, earnedRatio: 0.5 });
    const user = await unpaced.createUser();
    await unpaced.link(user, account);
    unpaced.sandbox.state.psn.trophies.setRateLimit(account.accountId, { limit: N, windowSeconds: 1 });
    unpaced.sandbox.state.calls.clear();

    const run = await unpaced.sync(user, 'incremental', 120_000);
    expect(run.status, run.error_message ?? '').toBe('succeeded');
    expect(run.attempts).toBe(1);
    const calls = sandboxCalls(unpaced);
    const refused = run.stats.apiCallsFailed;
    expect(refused).toBeGreaterThan(0);
    // Honoured: after a 429 the account's calls wait for the window, so each window refuses at most the
    // calls already in flight (4 titles at once, each ≤ 2 calls) — asking again at once would be refused
    // hundreds of times.
    const windows = Math.ceil((calls - refused) / N);
    expect(refused).toBeLessThanOrEqual(windows * 8);
    expect(await differencesFromSandbox(unpaced.db, unpaced.sandbox, account.accountId, user)).toEqual([]);
  });
});
