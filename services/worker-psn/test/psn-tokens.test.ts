import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsAssociatedData } from '@ach/crypto';
import type { PsnCredentials } from '@ach/platform-clients';
import { createPsnSyncHarness, type PsnSyncHarness } from './support/psn-sync-harness.ts';
import { differencesFromSandbox } from './support/psn-expectations.ts';

/** The PSN token lifecycle in a sync: refresh before expiry, refresh after a 401, a dead refresh token. */
let h: PsnSyncHarness;
/** The sandbox clock jumps two hours once this many user calls were made: every access token issued before dies. */
let jumpAfterUserCalls = Infinity;
const HOUR = 3_600_000;

beforeAll(async () => {
  h = await createPsnSyncHarness({
    sandbox: { psn: { now: () => Date.now() + (h && h.sandbox.state.calls.count('psn.userTrophies') >= jumpAfterUserCalls ? 2 * HOUR : 0) } },
  });
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

async function storedSignIn(userId: string) {
  const row = await h.db
    .selectFrom('platform_accounts')
    .select(['credentials_ciphertext', 'credentials_key_id', 'token_expires_at', 'refresh_expires_at', 'needs_attention', 'last_error_code'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const credentials = h.cipher.openJson({ ciphertext: row.credentials_ciphertext!, keyId: row.credentials_key_id! }, credentialsAssociatedData(userId, 'psn')) as PsnCredentials;
  return { ...row, credentials };
}

/** Rewrites the stored (sealed) sign-in, as if it had been stored at another time. */
async function rewriteSignIn(userId: string, change: Partial<PsnCredentials>) {
  const { credentials } = await storedSignIn(userId);
  const sealed = h.cipher.sealJson({ ...credentials, ...change }, credentialsAssociatedData(userId, 'psn'));
  await h.db.updateTable('platform_accounts').set({ credentials_ciphertext: sealed.ciphertext, credentials_key_id: sealed.keyId }).where('user_id', '=', userId).execute();
}

const refreshCalls = () => h.sandbox.state.calls.count('psn.token', { grant_type: 'refresh_token' });

describe('PSN tokens during a sync', () => {
  it('an access token about to expire is refreshed once before the first call; the new pair and both expiry columns are stored', async () => {
    const account = h.addAccount({ titles: 20 });
    const user = await h.createUser();
    await h.link(user, account);
    const linked = await storedSignIn(user);
    await rewriteSignIn(user, { accessExpiresAt: new Date(Date.now() + 2 * 60_000).toISOString() });
    h.sandbox.state.calls.clear();

    const run = await h.sync(user);
    expect(run.status).toBe('succeeded');
    expect(refreshCalls()).toBe(1);
    expect(run.stats).toMatchObject({ apiCallsFailed: 0 });
    expect(run.stats.apiCalls['psn.token']).toBe(1);
    const after = await storedSignIn(user);
    expect(after.credentials.accessToken).not.toBe(linked.credentials.accessToken);
    expect(after.credentials.refreshToken).not.toBe(linked.credentials.refreshToken);
    expect(after.token_expires_at!.getTime()).toBe(Date.parse(after.credentials.accessExpiresAt));
    expect(after.token_expires_at!.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    // Refreshing does not extend PSN's sign-in: the refresh token still ends when the NPSSO's did.
    expect(Math.abs(after.refresh_expires_at!.getTime() - linked.refresh_expires_at!.getTime())).toBeLessThan(2_000);
  });

  it('an access token that expires mid-sync: the 401s (titles fetched at once) cause ONE refresh and the sync succeeds', async () => {
    const account = h.addAccount({ titles: 40, earnedRatio: 0.5 });
    const user = await h.createUser();
    await h.link(user, account);
    h.sandbox.state.calls.clear();
    jumpAfterUserCalls = 6;
    try {
      const run = await h.sync(user);
      expect(run.status, run.error_message ?? '').toBe('succeeded');
      expect(refreshCalls()).toBe(1);
      expect(run.stats.apiCallsFailed).toBeGreaterThanOrEqual(1);
      expect(run.attempts).toBe(1);
      expect(await differencesFromSandbox(h.db, h.sandbox, account.accountId, user)).toEqual([]);
      const after = await storedSignIn(user);
      expect(after.token_expires_at!.getTime()).toBe(Date.parse(after.credentials.accessExpiresAt));
    } finally {
      jumpAfterUserCalls = Infinity;
    }
  });

  it('a revoked refresh token: invalid_credentials at once, no retries, the account flagged for a new NPSSO', async () => {
    const account = h.addAccount({ titles: 20 });
    const user = await h.createUser();
    await h.link(user, account);
    h.sandbox.state.psn.expireTokens(account.accountId, 'all');
    h.sandbox.state.calls.clear();

    const run = await h.sync(user);
    expect(run).toMatchObject({ status: 'failed', error_code: 'invalid_credentials', attempts: 1 });
    expect(run.error_message).toBe('PlayStation Network no longer accepts the stored sign-in; link the account again');
    expect((await h.queue.getJob(run.id))!.attemptsMade).toBe(1);
    // One 401, one refresh that PSN refused, nothing more.
    expect(refreshCalls()).toBe(1);
    expect(h.sandbox.state.calls.count('psn.trophyTitles')).toBe(1);
    const row = await storedSignIn(user);
    expect(row).toMatchObject({ needs_attention: true, last_error_code: 'invalid_credentials' });
  });

  it('a refresh token past its own expiry is not even tried: invalid_credentials without a call to PSN’s token endpoint', async () => {
    const account = h.addAccount({ titles: 20 });
    const user = await h.createUser();
    await h.link(user, account);
    await rewriteSignIn(user, { accessExpiresAt: new Date(Date.now() - 1_000).toISOString(), refreshExpiresAt: new Date(Date.now() - 1_000).toISOString() });
    h.sandbox.state.calls.clear();

    const run = await h.sync(user);
    expect(run).toMatchObject({ status: 'failed', error_code: 'invalid_credentials', attempts: 1 });
    expect(refreshCalls()).toBe(0);
    expect(h.sandbox.state.calls.snapshot()).toEqual({});
  });
});
