import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPsnAuthClient,
  isPlatformError,
  linkPsnAccount,
  psnApiErrorSchema,
  psnOAuthErrorSchema,
  psnProfileSchema,
  psnTokenResponseSchema,
  psnTrophySummarySchema,
  type PlatformError,
  type PsnAuthClient,
} from '@ach/platform-clients';
import { DEMO_ACCOUNTS, startSandbox, type StartedSandbox } from '../src/index.ts';
import { PS_APP_BASIC } from '../src/psn/psn-wire.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');
let clock = T0;
let sandbox: StartedSandbox;
let psnAuth: PsnAuthClient;

const IKEMENZI = { npsso: 'sandbox-npsso-ikemenzi', accountId: '6515971742264256071', onlineId: 'ikemenzi' };

const failure = async (promise: Promise<unknown>): Promise<PlatformError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPlatformError(error), `expected a PlatformError, got ${String(error)}`).toBe(true);
  return error as PlatformError;
};
const admin = (path: string, body: unknown) =>
  fetch(`${sandbox.url}/__sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, psn: { now: () => clock } });
  psnAuth = createPsnAuthClient({ authBaseUrl: sandbox.url, apiBaseUrl: sandbox.url, now: () => clock, http: { timeoutMs: 1_000 } });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  clock = T0;
  sandbox.state.reset();
});

describe('PSN sandbox: wire format', () => {
  it('authorize answers a 302 whose Location carries a code; the token answer parses with the client schema', async () => {
    const authorize = await fetch(
      `${sandbox.url}/api/authz/v3/oauth/authorize?${new URLSearchParams({
        access_type: 'offline',
        client_id: '09515159-7237-4370-9b40-3806e67c0891',
        redirect_uri: 'com.scee.psxandroid.scecompcall://redirect',
        response_type: 'code',
        scope: 'psn:mobile.v2.core psn:clientapp',
      })}`,
      { headers: { cookie: `npsso=${IKEMENZI.npsso}` }, redirect: 'manual' },
    );
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location')!);
    expect(`${location.protocol}//${location.host}`).toBe('com.scee.psxandroid.scecompcall://redirect');
    const code = location.searchParams.get('code')!;
    expect(code).toMatch(/^v3\./);

    const token = await fetch(`${sandbox.url}/api/authz/v3/oauth/token`, {
      method: 'POST',
      headers: { authorization: PS_APP_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'com.scee.psxandroid.scecompcall://redirect', token_format: 'jwt' }),
    });
    expect(token.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    const text = await token.text();
    const body = psnTokenResponseSchema.parse(JSON.parse(text));
    expect(Object.keys(JSON.parse(text))).toEqual(['access_token', 'token_type', 'expires_in', 'scope', 'id_token', 'refresh_token', 'refresh_token_expires_in']);
    expect([body.expires_in, body.refresh_token_expires_in, body.token_type, body.scope]).toEqual([3599, 5183999, 'bearer', 'psn:mobile.v2.core psn:clientapp']);

    const headers = { authorization: `Bearer ${body.access_token}` };
    const summary = psnTrophySummarySchema.parse(await (await fetch(`${sandbox.url}/api/trophy/v1/users/me/trophySummary`, { headers })).json());
    expect(summary.accountId).toBe(IKEMENZI.accountId);
    const profile = psnProfileSchema.parse(await (await fetch(`${sandbox.url}/api/userProfile/v1/internal/users/${summary.accountId}/profiles`, { headers })).json());
    expect([profile.onlineId, profile.isMe]).toEqual([IKEMENZI.onlineId, true]);

    // `me` is not resolved by the profile service; another user's private trophies are 403 2240526.
    const me = await fetch(`${sandbox.url}/api/userProfile/v1/internal/users/me/profiles`, { headers });
    expect(me.status).toBe(400);
    expect(psnApiErrorSchema.safeParse(await me.json()).success).toBe(true);
    const privateOne = await fetch(`${sandbox.url}/api/trophy/v1/users/5007681186655854753/trophySummary`, { headers });
    expect(privateOne.status).toBe(403);
    expect(psnApiErrorSchema.parse(await privateOne.json()).error.code).toBe(2240526);
  });

  it('an unknown NPSSO is still a 302, to the sign-in page with error=login_required&error_code=4165', async () => {
    const res = await fetch(
      `${sandbox.url}/api/authz/v3/oauth/authorize?client_id=09515159-7237-4370-9b40-3806e67c0891&redirect_uri=com.scee.psxandroid.scecompcall://redirect&response_type=code`,
      { headers: { cookie: 'npsso=nope' }, redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect([location.host, location.searchParams.get('error'), location.searchParams.get('error_code'), location.searchParams.has('code')]).toEqual([
      'my.account.sony.com',
      'login_required',
      '4165',
      false,
    ]);
  });
});

describe('PSN sandbox: linkPsnAccount', () => {
  it('links the fixtures account: string account id, onlineId, avatar, live tokens; each call counted once', async () => {
    const linked = await linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth });
    expect(linked.externalAccountId).toBe(IKEMENZI.accountId);
    expect(linked.displayName).toBe(IKEMENZI.onlineId);
    expect(linked.avatarUrl).toBe('http://static-resource.np.community.playstation.net/avatar_xl/default/Defaultavatar_xl.png');
    expect(linked.tokenExpiresAt).toEqual(new Date(T0 + 3599_000));
    expect(linked.refreshExpiresAt).toEqual(new Date(T0 + 5183999_000));
    expect(linked.credentials.accessToken).not.toBe(linked.credentials.refreshToken);
    expect(sandbox.state.psn.accountForAccessToken(linked.credentials.accessToken)?.accountId).toBe(IKEMENZI.accountId);
    const calls = sandbox.state.calls;
    expect(['psn.authorize', 'psn.token', 'psn.trophySummary', 'psn.profile'].map((e) => calls.count(e))).toEqual([1, 1, 1, 1]);
    expect(calls.count('psn.token', { grant_type: 'authorization_code' })).toBe(1);
  });

  it('links the demo account the demo script uses', async () => {
    const linked = await linkPsnAccount({ npsso: DEMO_ACCOUNTS.psn.npsso }, { psnAuth });
    expect([linked.externalAccountId, linked.displayName]).toEqual(['9007199254740993123', 'sandbox_demo']);
  });

  it('rejects an unknown NPSSO and a revoked one with auth/invalid_credentials', async () => {
    let error = await failure(linkPsnAccount({ npsso: 'sandbox-npsso-unknown' }, { psnAuth }));
    expect([error.kind, error.code]).toEqual(['auth', 'invalid_credentials']);
    expect((await admin(`/psn/accounts/${IKEMENZI.accountId}/state`, { revokeNpsso: true })).status).toBe(200);
    error = await failure(linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth }));
    expect([error.kind, error.code, error.endpoint]).toEqual(['auth', 'invalid_credentials', 'psn.authorize']);
    expect(sandbox.state.calls.count('psn.token')).toBe(0);
  });

  it('an authorization code works once', async () => {
    const code = await psnAuth.authorizationCodeFromNpsso(IKEMENZI.npsso);
    await psnAuth.exchangeCode(code);
    const error = await failure(psnAuth.exchangeCode(code));
    expect([error.kind, error.status]).toEqual(['auth', 400]);
  });
});

describe('PSN sandbox: token lifetimes', () => {
  it('refresh issues a new access token but never extends the refresh lifetime', async () => {
    const linked = await linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth });
    clock = T0 + 10_000;
    const refreshed = await psnAuth.refresh(linked.credentials.refreshToken);
    expect(refreshed.accessToken).not.toBe(linked.credentials.accessToken);
    expect(refreshed.refreshExpiresAt).toEqual(linked.refreshExpiresAt);
    expect(refreshed.scope).toBe('psn:clientapp psn:mobile.v2.core');
    await expect(psnAuth.getMe(refreshed.accessToken)).resolves.toMatchObject({ accountId: IKEMENZI.accountId });
  });

  it('an access token dies after 3599 s (401 → auth); the refresh token still works', async () => {
    const linked = await linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth });
    clock = T0 + 3600_000;
    const error = await failure(psnAuth.getMe(linked.credentials.accessToken));
    expect([error.kind, error.status, error.endpoint]).toEqual(['auth', 401, 'psn.trophySummary']);
    const refreshed = await psnAuth.refresh(linked.credentials.refreshToken);
    await expect(psnAuth.getMe(refreshed.accessToken)).resolves.toMatchObject({ onlineId: IKEMENZI.onlineId });
  });

  it('admin "expired token" state: expired refresh token → 400 invalid_grant → auth/invalid_credentials', async () => {
    const linked = await linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth });
    const res = await admin(`/psn/accounts/${IKEMENZI.accountId}/state`, { expireTokens: 'all' });
    expect(((await res.json()) as { expiredTokens: number }).expiredTokens).toBe(2);
    let error = await failure(psnAuth.refresh(linked.credentials.refreshToken));
    expect([error.kind, error.code, error.status]).toEqual(['auth', 'invalid_credentials', 400]);
    error = await failure(psnAuth.getMe(linked.credentials.accessToken));
    expect(error.kind).toBe('auth');
    // The raw body is Sony's OAuth error shape.
    const raw = await fetch(`${sandbox.url}/api/authz/v3/oauth/token`, {
      method: 'POST',
      headers: { authorization: PS_APP_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: linked.credentials.refreshToken }),
    });
    expect(psnOAuthErrorSchema.parse(await raw.json())).toMatchObject({ error: 'invalid_grant', error_code: 4159 });
  });

  it('the refresh token dies ~60 days after the NPSSO exchange, however often it was refreshed', async () => {
    const linked = await linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth });
    clock = T0 + 30 * 86_400_000;
    const mid = await psnAuth.refresh(linked.credentials.refreshToken);
    clock = T0 + 5184000_000;
    const error = await failure(psnAuth.refresh(mid.refreshToken));
    expect([error.kind, error.code]).toEqual(['auth', 'invalid_credentials']);
  });

  it('wrong client credentials → invalid_client → config', async () => {
    const other = createPsnAuthClient({ authBaseUrl: sandbox.url, apiBaseUrl: sandbox.url, oauth: { clientSecret: 'wrong' } });
    const error = await failure(other.refresh('x'));
    expect(error.kind).toBe('config');
  });
});

describe('PSN sandbox: faults and call counting', () => {
  it('rate_limited on the token endpoint → rate_limited with Retry-After', async () => {
    sandbox.state.faults.add({ endpoint: 'psn.token', kind: 'rate_limited', retryAfterSeconds: 7 });
    const error = await failure(linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth }));
    expect([error.kind, error.retryAfterMs, error.endpoint]).toEqual(['rate_limited', 7_000, 'psn.token']);
  });

  it('server_error on the profile → transient; malformed_json on trophySummary → malformed; garbage on authorize → malformed', async () => {
    sandbox.state.faults.add({ endpoint: 'psn.profile', kind: 'server_error' });
    let error = await failure(linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth }));
    expect([error.kind, error.endpoint]).toEqual(['transient', 'psn.profile']);
    sandbox.state.faults.add({ endpoint: 'psn.trophySummary', kind: 'malformed_json' });
    error = await failure(linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth }));
    expect([error.kind, error.endpoint]).toEqual(['malformed', 'psn.trophySummary']);
    sandbox.state.faults.add({ endpoint: 'psn.authorize', kind: 'garbage' });
    error = await failure(linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth }));
    expect([error.kind, error.endpoint]).toEqual(['malformed', 'psn.authorize']);
  });

  it('"unauthorized" on authorize is PSN\'s real answer: the login_required redirect', async () => {
    sandbox.state.faults.add({ endpoint: 'psn.authorize', kind: 'unauthorized' });
    const error = await failure(linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth }));
    expect([error.kind, error.code]).toEqual(['auth', 'invalid_credentials']);
  });

  it('a held request times out on the client as transient', async () => {
    sandbox.state.faults.add({ endpoint: 'psn.trophySummary', kind: 'timeout', holdMs: 5_000 });
    const error = await failure(linkPsnAccount({ npsso: IKEMENZI.npsso }, { psnAuth }));
    expect([error.kind, error.endpoint]).toEqual(['transient', 'psn.trophySummary']);
    expect(sandbox.state.calls.count('psn.trophySummary', { accountId: 'me' })).toBe(1);
  });
});
