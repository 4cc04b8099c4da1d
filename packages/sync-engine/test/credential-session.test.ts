import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformAccountRepository } from '@ach/accounts';
import { createCredentialCipher, credentialsAssociatedData } from '@ach/crypto';
import { PlatformError } from '@ach/platform-clients';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { createCredentialSession, credentialSessionsPerJob, type AdapterAccount } from '../src/index.ts';
import { loadAccount } from '../src/runs/load-account.ts';
import { createUser, linkAccount } from './support/seed.ts';

/** Token refresh for adapters: one refresh per job however many titles ask at once, stored with both expiry columns. */
let t: TestDatabase;
const cipher = createCredentialCipher({ key: randomBytes(32).toString('base64') });
const platform = { platform: 'psn', platformId: 1 } as const;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

interface Tokens {
  access: string;
  refresh: string;
  accessExpiresAt: string;
}

async function linkedAccount(tokens: Tokens): Promise<AdapterAccount> {
  const user = await createUser(t.db);
  await linkAccount(t.db, user, 'psn', '6515971742264256071');
  await createPlatformAccountRepository(t.db).saveCredentials(user, 1, cipher.sealJson(tokens, credentialsAssociatedData(user, 'psn')));
  return loadAccount({ db: t.db, cipher }, user, platform);
}

const rejected = () => new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.trophyTitles', status: 401, message: '401' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function session(account: AdapterAccount, refresh: (tokens: Tokens) => Promise<Tokens>, now = Date.now) {
  let refreshes = 0;
  const s = createCredentialSession<Tokens>({
    account,
    initial: account.credentials() as Tokens,
    accessExpiresAt: (c) => new Date(c.accessExpiresAt),
    now,
    refresh: async (c) => {
      refreshes += 1;
      const next = await refresh(c);
      return { credentials: next, tokenExpiresAt: new Date(next.accessExpiresAt), refreshExpiresAt: new Date('2030-01-01T00:00:00Z') };
    },
  });
  return { s, refreshes: () => refreshes };
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('credential session', () => {
  it('a token about to expire is refreshed ONCE for many concurrent calls; the new pair and both expiry columns are stored', async () => {
    const account = await linkedAccount({ access: 'a0', refresh: 'r0', accessExpiresAt: new Date(Date.now() + 60_000).toISOString() });
    const { s, refreshes } = session(account, async () => {
      await sleep(50);
      return { access: 'a1', refresh: 'r1', accessExpiresAt: inAnHour() };
    });
    const used = await Promise.all(Array.from({ length: 8 }, () => s.call(async (c) => c.access)));
    expect(used).toEqual(Array(8).fill('a1'));
    expect(refreshes()).toBe(1);
    expect(s.refreshes).toBe(1);

    const row = await t.db
      .selectFrom('platform_accounts')
      .select(['credentials_ciphertext', 'credentials_key_id', 'token_expires_at', 'refresh_expires_at', 'user_id'])
      .where('user_id', '=', account.userId)
      .executeTakeFirstOrThrow();
    const storedTokens = cipher.openJson({ ciphertext: row.credentials_ciphertext!, keyId: row.credentials_key_id! }, credentialsAssociatedData(account.userId, 'psn')) as Tokens;
    expect(storedTokens).toMatchObject({ access: 'a1', refresh: 'r1' });
    expect(row.token_expires_at?.toISOString()).toBe(storedTokens.accessExpiresAt);
    expect(row.refresh_expires_at?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('a 401 refreshes once (concurrent rejections share it) and the calls are asked again; a 401 with the refreshed token is final', async () => {
    const account = await linkedAccount({ access: 'a0', refresh: 'r0', accessExpiresAt: inAnHour() });
    let n = 0;
    const { s, refreshes } = session(account, async () => ({ access: `a${++n}`, refresh: `r${n}`, accessExpiresAt: inAnHour() }));
    const alive = new Set(['a1']);
    const call = () =>
      s.call(async (c) => {
        await sleep(10);
        if (!alive.has(c.access)) throw rejected();
        return c.access;
      });
    expect(await Promise.all([call(), call(), call()])).toEqual(['a1', 'a1', 'a1']);
    expect(refreshes()).toBe(1);

    alive.clear(); // revoked: the refreshed token is rejected too
    await expect(call()).rejects.toMatchObject({ kind: 'auth' });
    expect(refreshes()).toBe(1);
  });

  it('a rejected refresh token fails at once (kind auth → invalid_credentials); nothing is stored', async () => {
    const account = await linkedAccount({ access: 'a0', refresh: 'dead', accessExpiresAt: new Date(Date.now() - 1_000).toISOString() });
    const { s } = session(account, async () => {
      throw new PlatformError({ kind: 'auth', platform: 'psn', endpoint: 'psn.token', status: 400, message: 'invalid_grant' });
    });
    await expect(s.call(async () => 'never')).rejects.toMatchObject({ kind: 'auth', endpoint: 'psn.token' });
    const row = await t.db.selectFrom('platform_accounts').select('token_expires_at').where('user_id', '=', account.userId).executeTakeFirstOrThrow();
    expect(row.token_expires_at).toBeNull();
  });

  it('credentialSessionsPerJob keeps one session per job (per loaded account)', async () => {
    const account = await linkedAccount({ access: 'a0', refresh: 'r0', accessExpiresAt: inAnHour() });
    const sessions = credentialSessionsPerJob((a) => session(a, async (c) => c).s);
    expect(sessions(account)).toBe(sessions(account));
    const nextJob = await loadAccount({ db: t.db, cipher }, account.userId, platform);
    expect(sessions(nextJob)).not.toBe(sessions(account));
  });
});
