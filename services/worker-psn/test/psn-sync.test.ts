import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import { changedKeys, rowVersions } from '@ach/testing';
import { createPsnSyncHarness, type PsnSyncHarness } from './support/psn-sync-harness.ts';
import { differencesFromSandbox } from './support/psn-expectations.ts';

/** The PSN worker (`runWorkerProcess(psn)`, in-process) against the sandbox: incremental paging, skips, guards. */
let h: PsnSyncHarness;

beforeAll(async () => {
  h = await createPsnSyncHarness();
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

const countUserTitles = async (userId: string) =>
  Number((await h.db.selectFrom('user_progress').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);

describe('incremental', () => {
  it('after one title changes: one list call plus that title’s one user call; a no-change resync is one call and writes nothing', async () => {
    const account = h.addAccount({ titles: 20, earnedRatio: 0.5 });
    const user = await h.createUser();
    await h.link(user, account);
    expect((await h.sync(user)).status).toBe('succeeded');

    const changed = h.sandbox.state.psn.trophies.earn(account.accountId, undefined, 2);
    h.sandbox.state.calls.clear();
    const before = await rowVersions(h.db, user);
    const run = await h.sync(user);
    expect(run.status).toBe('succeeded');
    expect(Object.fromEntries(Object.entries(h.sandbox.state.calls.snapshot()).map(([endpoint, calls]) => [endpoint, calls.total]))).toEqual({
      'psn.trophyTitles': 1,
      'psn.userTrophies': 1,
    });
    expect(h.sandbox.state.calls.count('psn.userTrophies', { npCommunicationId: changed.npCommunicationId })).toBe(1);
    expect(run.stats).toMatchObject({ gamesChanged: 1, gamesWritten: 1, metadataFromCache: 1, metadataFetched: 0 });
    // Only that title's rows moved: its two unlocks and its progress.
    const moved = changedKeys(before, await rowVersions(h.db, user));
    expect(moved).toEqual([
      ...changed.earned.map((id) => `user_achievements:${changed.npCommunicationId}:${id}`).sort(),
      `user_progress:${changed.npCommunicationId}`,
    ]);
    expect(await differencesFromSandbox(h.db, h.sandbox, account.accountId, user)).toEqual([]);

    h.sandbox.state.calls.clear();
    const quiet = await h.sync(user);
    expect(Object.values(h.sandbox.state.calls.snapshot()).reduce((n, e) => n + e.total, 0)).toBe(1);
    expect(quiet.stats).toMatchObject({ gamesChanged: 0, rowsWritten: 0, apiCallsTotal: 1 });
  });

  it('a first sync that failed half-way is completed by the next incremental run (no succeeded run vouches for the older titles)', async () => {
    const account = h.addAccount({ titles: 20, earnedRatio: 0.5 });
    const user = await h.createUser();
    await h.link(user, account);
    const titles = h.sandbox.state.psn.trophies.view(account.accountId, false)!.titles;
    // An older title's user call answers 403: the run fails (profile_private) after writing newer ones.
    h.sandbox.state.faults.add({ endpoint: 'psn.userTrophies', kind: 'forbidden', match: { npCommunicationId: titles[12]!.npCommunicationId } });
    const failed = await h.sync(user);
    expect(failed).toMatchObject({ status: 'failed', error_code: 'profile_private' });
    const written = await countUserTitles(user);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(20);

    h.sandbox.state.faults.clear();
    expect((await h.sync(user)).status).toBe('succeeded');
    expect(await differencesFromSandbox(h.db, h.sandbox, account.accountId, user)).toEqual([]);
  });
});

describe('per-title and list failures', () => {
  it('a title that answers 404 is skipped and counted; the run succeeds and the next one fetches it', async () => {
    const account = h.addAccount({ titles: 20, earnedRatio: 0.5 });
    const user = await h.createUser();
    await h.link(user, account);
    const gone = h.sandbox.state.psn.trophies.view(account.accountId, false)!.titles[3]!.npCommunicationId;
    h.sandbox.state.psn.trophies.setTitleMissing(account.accountId, gone, true);
    const run = await h.sync(user);
    expect(run.status).toBe('succeeded');
    expect(run.stats).toMatchObject({ gamesSeen: 20, gamesWritten: 19, gamesSkipped: 1 });
    expect(await countUserTitles(user)).toBe(19);
    expect(await parityBreaches(h.db)).toEqual([]);

    h.sandbox.state.psn.trophies.setTitleMissing(account.accountId, gone, false);
    expect((await h.sync(user)).stats).toMatchObject({ gamesChanged: 1, gamesWritten: 1 });
    expect(await differencesFromSandbox(h.db, h.sandbox, account.accountId, user)).toEqual([]);
  });

  it('a private trophy list (403 2240526) fails with profile_private at once and flags the account', async () => {
    const account = h.addAccount({ titles: 20 });
    const user = await h.createUser();
    await h.link(user, account);
    h.sandbox.state.faults.add({ endpoint: 'psn.trophyTitles', kind: 'forbidden', match: { accountId: account.accountId } });
    const run = await h.sync(user);
    expect(run).toMatchObject({ status: 'failed', error_code: 'profile_private', attempts: 1 });
    expect(run.error_message).toBe('The PlayStation Network profile or its game details are not public');
    const row = await h.db.selectFrom('platform_accounts').select(['needs_attention', 'last_error_code']).where('user_id', '=', user).executeTakeFirstOrThrow();
    expect(row).toEqual({ needs_attention: true, last_error_code: 'profile_private' });
    h.sandbox.state.faults.clear();
  });
});

describe('shrinking-list guard', () => {
  it('the list drops 80 % of the titles for one call: suspicious_list, nothing removed; the next normal full sync succeeds', async () => {
    const account = h.addAccount({ titles: 40, earnedRatio: 0.5 });
    const user = await h.createUser();
    await h.link(user, account);
    expect((await h.sync(user)).status).toBe('succeeded');
    const unlocksBefore = await h.db.selectFrom('user_achievements').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', user).executeTakeFirstOrThrow();

    h.sandbox.state.psn.trophies.dropTitles(account.accountId, { percent: 80, listings: 1 });
    const suspicious = await h.sync(user, 'full');
    expect(suspicious).toMatchObject({ status: 'failed', error_code: 'suspicious_list', attempts: 1 });
    expect(suspicious.error_message).toBe('PlayStation Network listed 8 games where 40 are stored; nothing was removed — try again later');
    expect(await countUserTitles(user)).toBe(40);
    const unlocksAfter = await h.db.selectFrom('user_achievements').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', user).executeTakeFirstOrThrow();
    expect(unlocksAfter.n).toBe(unlocksBefore.n);
    const flagged = await h.db.selectFrom('platform_accounts').select('needs_attention').where('user_id', '=', user).executeTakeFirstOrThrow();
    expect(flagged.needs_attention).toBe(false);

    const next = await h.sync(user, 'full');
    expect(next.status).toBe('succeeded');
    expect(next.stats).toMatchObject({ gamesSeen: 40, gamesWritten: 40 });
    expect(await differencesFromSandbox(h.db, h.sandbox, account.accountId, user)).toEqual([]);
  });
});
