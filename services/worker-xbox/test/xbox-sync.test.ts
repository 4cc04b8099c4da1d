import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import type { XboxCredentials } from '@ach/platform-clients';
import { rowVersions } from '@ach/testing';
import { createXboxSyncHarness, type XboxSyncHarness } from './support/xbox-sync-harness.ts';
import { expectMirrorsSandbox } from './support/xbox-mirror.ts';

/**
 * worker-xbox end to end against the sandbox (in-process), real Postgres and Redis: the module's own
 * worker process (`runWorkerProcess(xbox)`), jobs through the accept path POST /sync/xbox uses.
 * Every account here has its own xuid, refresh token and library (one sandbox per file).
 */
const SHAPE = { achievementsPerTitle: 12, x360Ratio: 0.25, earnedRatio: 0.5 };
let next = 0;
const account = (titles: number, shape: Partial<typeof SHAPE> = {}) => {
  next += 1;
  const xuid = String(2535490000000000 + next);
  return { refreshToken: `sandbox-msa-test-${next}`, xuid, gamertag: `Tester${next}`, userHash: String(7000000000000000000 + next), library: { ...SHAPE, ...shape, titles } };
};

const AUTH_ENDPOINTS = ['xbox.msaToken', 'xbox.userAuthenticate', 'xbox.xstsAuthorize'] as const;

let h: XboxSyncHarness;

beforeAll(async () => {
  h = await createXboxSyncHarness();
  await h.startWorker();
});

afterAll(async () => {
  await h?.close();
});

/** A user linked (as PUT /accounts/xbox does) to a fresh sandbox account with `titles` titles. */
async function linkedUser(titles: number, shape: Partial<typeof SHAPE> = {}) {
  const seed = account(titles, shape);
  h.sandbox.state.xbox.addAccount(seed);
  const userId = await h.createUser();
  await h.link(userId, seed.refreshToken);
  return { userId, xuid: seed.xuid, refreshToken: seed.refreshToken };
}

const authCalls = () => AUTH_ENDPOINTS.map((e) => h.sandbox.state.calls.count(e));
const authCallsSince = (before: number[]) => authCalls().map((n, i) => n - before[i]!);

async function accountRow(userId: string) {
  return h.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', userId).where('platform_id', '=', 2).executeTakeFirstOrThrow();
}

describe('a full sync', () => {
  it('stores every title (Xbox One/Series and 360), definition with rarity, unlock and Xbox’s own gamerscore; one call per modern title, two per 360 title', async () => {
    const { userId, xuid } = await linkedUser(16);
    const auth = authCalls();
    const { result, calls } = await h.callsDuring(
      () => h.sync(userId, 'full'),
      ['xbox.titlehubHistory', { xuid }],
      ['xbox.historyTitles', { xuid }],
      ['xbox.achievements', { xuid, contract: '4' }],
      ['xbox.titleAchievements', { xuid, contract: '3' }],
      ['xbox.achievements', { xuid, contract: '3' }],
    );
    expect(result.log).toMatchObject({ status: 'succeeded', error_code: null, attempts: 1 });
    const stored = await expectMirrorsSandbox(h.db, h.sandbox, userId, xuid);
    expect(stored).toMatchObject({ titles: 16, x360Titles: 4, achievements: 16 * 12 });
    expect(await parityBreaches(h.db)).toEqual([]);
    // titlehub once, /history/titles once, /achievements v4 once per modern title, 360: definitions + earned.
    expect(calls).toEqual([1, 1, 12, 4, 4]);
    expect(result.stats).toMatchObject({ gamesSeen: 16, gamesChanged: 16, gamesWritten: 16, gamesSkipped: 0, apiCallsFailed: 0 });
    // The XSTS token stored at link time was good: no authorization call.
    expect(authCallsSince(auth)).toEqual([0, 0, 0]);
  });
});

describe('incremental', () => {
  it('a sync with nothing new costs the history calls only and writes nothing', async () => {
    const { userId, xuid } = await linkedUser(10);
    expect((await h.sync(userId)).log.status).toBe('succeeded');
    const before = await rowVersions(h.db, userId);
    const { result, calls } = await h.callsDuring(
      () => h.sync(userId),
      ['xbox.titlehubHistory', { xuid }],
      ['xbox.historyTitles', { xuid }],
      ['xbox.achievements', { xuid }],
      ['xbox.titleAchievements', { xuid }],
    );
    expect(result.log.status).toBe('succeeded');
    expect(calls).toEqual([1, 1, 0, 0]);
    expect(result.stats).toMatchObject({ gamesSeen: 10, gamesChanged: 0, rowsWritten: 0, apiCallsTotal: 2 });
    expect(await rowVersions(h.db, userId)).toEqual(before);
  });

  it('after one title changes (a new unlock), only that title is fetched — an Xbox One/Series one, then a 360 one', async () => {
    const { userId, xuid } = await linkedUser(8);
    expect((await h.sync(userId)).log.status).toBe('succeeded');
    const titles = h.sandbox.state.xbox.library(xuid)!.titles();
    const modern = titles.find((t) => t.definition.kind === 'modern' && t.earnedCount < t.definition.achievementCount)!;
    const x360 = titles.find((t) => t.definition.kind === 'x360' && t.earnedCount < t.definition.achievementCount)!;

    for (const changed of [modern, x360]) {
      const titleId = String(changed.definition.titleId);
      const { earned } = h.sandbox.state.xbox.earn(xuid, changed.definition.titleId, 1);
      const { result, calls } = await h.callsDuring(
        () => h.sync(userId),
        ['xbox.achievements', { xuid }],
        ['xbox.achievements', { xuid, titleId }],
        ['xbox.titleAchievements', { xuid }],
      );
      expect(result.log.status).toBe('succeeded');
      expect(result.stats).toMatchObject({ gamesChanged: 1, gamesWritten: 1 });
      // One unlock call for that title (its definitions are cached), none for any other.
      expect(calls).toEqual([1, 1, 0]);
      const unlock = await h.db
        .selectFrom('user_achievements')
        .selectAll()
        .where('user_id', '=', userId)
        .where('platform_game_id', '=', titleId)
        .where('platform_achievement_id', '=', String(earned[0]))
        .executeTakeFirst();
      expect(unlock).toBeDefined();
    }
    await expectMirrorsSandbox(h.db, h.sandbox, userId, xuid);
    expect(await parityBreaches(h.db)).toEqual([]);
  });
});

describe('tokens', () => {
  it('the XSTS token is reused across jobs: linking authorized once, two syncs authorize nothing', async () => {
    const auth = authCalls();
    const { userId } = await linkedUser(4);
    expect(authCallsSince(auth)).toEqual([1, 1, 1]);
    expect((await h.sync(userId)).log.status).toBe('succeeded');
    expect((await h.sync(userId, 'full')).log.status).toBe('succeeded');
    expect(authCallsSince(auth)).toEqual([1, 1, 1]);
  });

  it('an XSTS token past its NotAfter is renewed once, before any data call; the rotated refresh token and the new expiry are stored', async () => {
    const { userId } = await linkedUser(6);
    const linked = await h.storedCredentials(userId);
    await h.storeCredentials(userId, { ...linked, xstsExpiresAt: new Date(Date.now() - 60_000).toISOString() });
    const auth = authCalls();
    const { log } = await h.sync(userId, 'full');
    expect(log).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(authCallsSince(auth)).toEqual([1, 1, 1]);
    const renewed = await h.storedCredentials(userId);
    expect(renewed.msaRefreshToken).not.toBe(linked.msaRefreshToken);
    expect(renewed.xstsToken).not.toBe(linked.xstsToken);
    expect(Date.parse(renewed.xstsExpiresAt)).toBeGreaterThan(Date.now() + 15 * 3600_000);
    expect((await accountRow(userId)).token_expires_at?.toISOString()).toBe(new Date(renewed.xstsExpiresAt).toISOString());
  });

  it('an XSTS token Xbox stopped accepting (401) is renewed once and the call asked again; concurrent 401s share that one renewal', async () => {
    const { userId, xuid } = await linkedUser(8);
    h.sandbox.state.xbox.expireTokens(xuid, 'xsts');
    const auth = authCalls();
    expect((await h.sync(userId)).log).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(authCallsSince(auth)).toEqual([1, 1, 1]);

    // Four title fetches in flight (SYNC_GAME_CONCURRENCY 4) all answered 401 at once: one renewal.
    h.sandbox.state.faults.add({ endpoint: 'xbox.achievements', kind: 'unauthorized', count: 4, match: { xuid } });
    const again = authCalls();
    const { log } = await h.sync(userId, 'full');
    expect(log).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(authCallsSince(again)).toEqual([1, 1, 1]);
    await expectMirrorsSandbox(h.db, h.sandbox, userId, xuid);
  });

  it('Microsoft rotates the refresh token on every renewal: the new one is stored each time and the old one never used again', async () => {
    const { userId, refreshToken } = await linkedUser(3);
    const seen = [refreshToken, (await h.storedCredentials(userId)).msaRefreshToken];
    for (let round = 0; round < 3; round++) {
      const stored = await h.storedCredentials(userId);
      await h.storeCredentials(userId, { ...stored, xstsExpiresAt: new Date(Date.now() - 1_000).toISOString() });
      const { log } = await h.sync(userId);
      // The sandbox retires a rotated token once used: renewing with an old one would be invalid_grant.
      expect(log).toMatchObject({ status: 'succeeded', error_code: null });
      const rotated = (await h.storedCredentials(userId)).msaRefreshToken;
      expect(seen).not.toContain(rotated);
      seen.push(rotated);
    }
    // Every refresh token handed out before the last one is dead.
    for (const old of seen.slice(1, -1)) expect(h.sandbox.state.xbox.refreshMsa(old)).toBeUndefined();
  });

  it('a revoked refresh token fails the run with invalid_credentials at once: one refresh call, no retries, account flagged', async () => {
    const { userId, xuid } = await linkedUser(3);
    const stored = await h.storedCredentials(userId);
    await h.storeCredentials(userId, { ...stored, xstsExpiresAt: new Date(Date.now() - 1_000).toISOString() });
    h.sandbox.state.xbox.revokeRefreshTokens(xuid);
    const auth = authCalls();
    const { log, job } = await h.sync(userId);
    expect(log).toMatchObject({ status: 'failed', error_code: 'invalid_credentials', attempts: 1 });
    expect(log.error_message).toBe('Xbox Live no longer accepts the stored sign-in; link the account again');
    expect(job.attemptsMade).toBe(1);
    expect(authCallsSince(auth)).toEqual([1, 0, 0]);
    expect(await accountRow(userId)).toMatchObject({ needs_attention: true, last_error_code: 'invalid_credentials' });
  });

  it('a 401 after the renewal is invalid_credentials: renewed once, not again, no retries', async () => {
    const { userId, xuid } = await linkedUser(3);
    h.sandbox.state.faults.add({ endpoint: 'xbox.titlehubHistory', kind: 'unauthorized', count: 50, match: { xuid } });
    const auth = authCalls();
    const { log } = await h.sync(userId);
    h.sandbox.state.faults.clear();
    expect(log).toMatchObject({ status: 'failed', error_code: 'invalid_credentials', attempts: 1 });
    expect(authCallsSince(auth)).toEqual([1, 1, 1]);
    expect((await accountRow(userId)).needs_attention).toBe(true);
  });

  it('an XSTS refusal keeps its xbox_* code and text (here: a child account outside a family), no retries', async () => {
    const { userId, xuid } = await linkedUser(3);
    const stored = await h.storedCredentials(userId);
    await h.storeCredentials(userId, { ...stored, xstsExpiresAt: new Date(Date.now() - 1_000).toISOString() });
    h.sandbox.state.xbox.accountByXuid(xuid)!.xstsError = 2148916238;
    const { log } = await h.sync(userId);
    expect(log).toMatchObject({ status: 'failed', error_code: 'xbox_child_account', attempts: 1 });
    expect(log.error_message).toBe('A child account must be added to a Microsoft family by an adult');
    expect((await accountRow(userId)).needs_attention).toBe(true);
    // The refresh token rotated before XSTS refused is kept: relinking is not the only way back.
    expect((await h.storedCredentials(userId)).msaRefreshToken).not.toBe(stored.msaRefreshToken);
  });

  it('stored credentials that are not an Xbox token set fail with invalid_credentials, no retries', async () => {
    const { userId } = await linkedUser(2);
    await h.storeCredentials(userId, { nonsense: true } as unknown as XboxCredentials);
    const { log } = await h.sync(userId);
    expect(log).toMatchObject({ status: 'failed', error_code: 'invalid_credentials', attempts: 1 });
  });
});

describe('what Xbox Live answers', () => {
  it('403 (private profile) → profile_private, no retries', async () => {
    const { userId, xuid } = await linkedUser(3);
    h.sandbox.state.xbox.setPrivate(xuid, true);
    const { log } = await h.sync(userId);
    expect(log).toMatchObject({ status: 'failed', error_code: 'profile_private', attempts: 1 });
    expect((await accountRow(userId)).needs_attention).toBe(true);
  });

  it('404 for one title → that title is skipped, the run goes on and stores the others', async () => {
    const { userId, xuid } = await linkedUser(6);
    const titles = h.sandbox.state.xbox.library(xuid)!.titles();
    const missing = titles[1]!.definition.titleId;
    h.sandbox.state.xbox.setTitleNotFound(xuid, missing, true);
    const { log, stats } = await h.sync(userId, 'full');
    expect(log.status).toBe('succeeded');
    expect(stats).toMatchObject({ gamesSeen: 6, gamesSkipped: 1, gamesWritten: 5 });
    const stored = await h.db.selectFrom('user_progress').select('platform_game_id').where('user_id', '=', userId).execute();
    expect(stored.map((r) => r.platform_game_id).sort()).toEqual(titles.filter((t) => t.definition.titleId !== missing).map((t) => String(t.definition.titleId)).sort());

    // Back on Xbox: the next sync asks for it again (no marker was stored for it).
    h.sandbox.state.xbox.setTitleNotFound(xuid, missing, false);
    expect((await h.sync(userId)).stats).toMatchObject({ gamesChanged: 1, gamesWritten: 1 });
    await expectMirrorsSandbox(h.db, h.sandbox, userId, xuid);
  });

  it('429 with Retry-After is waited out and the call asked again: not an attempt', async () => {
    const { userId, xuid } = await linkedUser(4);
    h.sandbox.state.faults.add({ endpoint: 'xbox.achievements', kind: 'rate_limited', count: 1, retryAfterSeconds: 1, match: { xuid } });
    const { log, stats } = await h.sync(userId);
    expect(log).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(stats.apiCallsFailed).toBe(1);
    await expectMirrorsSandbox(h.db, h.sandbox, userId, xuid);
  });

  it('a full list far shorter than what is stored → suspicious_list: nothing removed, nothing written, no retries', async () => {
    const { userId, xuid } = await linkedUser(40, { achievementsPerTitle: 3 });
    expect((await h.sync(userId, 'full')).log.status).toBe('succeeded');
    const before = await rowVersions(h.db, userId);
    h.sandbox.state.xbox.shrinkTitleHistory(xuid, 50, 1);
    const { log } = await h.sync(userId, 'full');
    expect(log).toMatchObject({ status: 'failed', error_code: 'suspicious_list', attempts: 1 });
    expect(await rowVersions(h.db, userId)).toEqual(before);
    // The next (whole) answer syncs as usual.
    expect((await h.sync(userId, 'full')).log.status).toBe('succeeded');
    await expectMirrorsSandbox(h.db, h.sandbox, userId, xuid);
  });
});
