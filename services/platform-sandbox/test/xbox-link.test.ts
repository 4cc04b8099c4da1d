import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createXboxAuthClient,
  isPlatformError,
  linkXboxAccount,
  msaTokenResponseSchema,
  xboxProfileSettingsSchema,
  xboxUserTokenSchema,
  xstsErrorSchema,
  xstsTokenSchema,
  type PlatformError,
  type XboxAuthClient,
} from '@ach/platform-clients';
import { DEMO_ACCOUNTS, startSandbox, type StartedSandbox } from '../src/index.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');
let clock = T0;
let sandbox: StartedSandbox;
let xboxAuth: XboxAuthClient;

const E = { refreshToken: 'sandbox-msa-e', xuid: '2669321029139235', gamertag: 'e' };
const SEVEN_DIGITS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;

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
const post = (path: string, body: unknown) =>
  fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-xbl-contract-version': '1' }, body: JSON.stringify(body) });

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, xbox: { now: () => clock } });
  const base = sandbox.url;
  xboxAuth = createXboxAuthClient({
    clientId: DEMO_ACCOUNTS.xbox.clientId,
    msaBaseUrl: base,
    userAuthBaseUrl: base,
    xstsBaseUrl: base,
    profileBaseUrl: base,
    now: () => clock,
    http: { timeoutMs: 1_000 },
  });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  clock = T0;
  sandbox.state.reset();
});

describe('Xbox sandbox: wire format', () => {
  it('each hop of the chain answers what the client schemas parse, with 7-digit instants', async () => {
    const msaRes = await fetch(`${sandbox.url}/oauth20_token.srf`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'c', scope: 'service::user.auth.xboxlive.com::MBI_SSL', refresh_token: E.refreshToken }),
    });
    const msa = msaTokenResponseSchema.parse(await msaRes.json());
    expect(msa.refresh_token).not.toBe(E.refreshToken);
    expect([msa.expires_in, msa.scope]).toEqual([3600, 'service::user.auth.xboxlive.com::MBI_SSL']);

    const userRes = await post('/user/authenticate', {
      RelyingParty: 'http://auth.xboxlive.com',
      TokenType: 'JWT',
      Properties: { AuthMethod: 'RPS', SiteName: 'user.auth.xboxlive.com', RpsTicket: `t=${msa.access_token}` },
    });
    const user = xboxUserTokenSchema.parse(await userRes.json());
    expect(user.IssueInstant).toMatch(SEVEN_DIGITS);

    const xstsRes = await post('/xsts/authorize', { RelyingParty: 'http://xboxlive.com', TokenType: 'JWT', Properties: { SandboxId: 'RETAIL', UserTokens: [user.Token] } });
    const xstsText = await xstsRes.text();
    const xsts = xstsTokenSchema.parse(JSON.parse(xstsText));
    expect(xstsText).toContain(`"xid":"${E.xuid}"`);
    expect(xsts.NotAfter).toMatch(SEVEN_DIGITS);
    expect(Date.parse(xsts.NotAfter) - Date.parse(xsts.IssueInstant)).toBe(16 * 3600_000);
    const claims = xsts.DisplayClaims.xui[0]!;
    expect([claims.xid, claims.gtg, claims.uhs]).toEqual([E.xuid, E.gamertag, user.DisplayClaims.xui[0]!.uhs]);

    const profileRes = await fetch(`${sandbox.url}/users/xuid(${E.xuid})/profile/settings?settings=GameDisplayName,GameDisplayPicRaw,Gamerscore,Gamertag`, {
      headers: { authorization: `XBL3.0 x=${claims.uhs};${xsts.Token}`, 'x-xbl-contract-version': '3' },
    });
    expect(profileRes.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const profile = xboxProfileSettingsSchema.parse(await profileRes.json());
    expect(profile.profileUsers[0]!.settings).toEqual([
      { id: 'GameDisplayName', value: 'e' },
      { id: 'GameDisplayPicRaw', value: expect.stringContaining('https://images-eds-ssl.xboxlive.com/') },
      { id: 'Gamerscore', value: '98096' },
      { id: 'Gamertag', value: 'e' },
    ]);

    const anonymous = await fetch(`${sandbox.url}/users/xuid(${E.xuid})/profile/settings?settings=Gamertag`);
    expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'XBL3.0 realm="http://xboxlive.com"']);
  });

  it('XSTS refusals are 401 {Identity, XErr, Message, Redirect}', async () => {
    const msa = await xboxAuth.refreshMsaToken('sandbox-msa-no-xbox');
    const user = await xboxAuth.authenticateUser(msa.accessToken);
    const res = await post('/xsts/authorize', { RelyingParty: 'http://xboxlive.com', TokenType: 'JWT', Properties: { SandboxId: 'RETAIL', UserTokens: [user.token] } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['Identity', 'XErr', 'Message', 'Redirect']);
    expect(xstsErrorSchema.parse(body).XErr).toBe(2148916233);
  });
});

describe('Xbox sandbox: linkXboxAccount', () => {
  it('links the fixtures account and stores the ROTATED refresh token, which works next time', async () => {
    const linked = await linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth });
    expect([linked.externalAccountId, linked.displayName]).toEqual([E.xuid, E.gamertag]);
    expect(linked.avatarUrl).toContain('https://images-eds-ssl.xboxlive.com/image?url=');
    expect(linked.credentials.msaRefreshToken).not.toBe(E.refreshToken);
    expect(linked.tokenExpiresAt).toEqual(new Date(T0 + 16 * 3600_000));
    expect(linked.credentials.xstsExpiresAt).toBe(new Date(T0 + 16 * 3600_000).toISOString());
    const again = await xboxAuth.authenticate(linked.credentials.msaRefreshToken);
    expect(again.xsts.xuid).toBe(E.xuid);
    expect(again.msa.refreshToken).not.toBe(linked.credentials.msaRefreshToken);
    const calls = sandbox.state.calls;
    expect(['xbox.msaToken', 'xbox.userAuthenticate', 'xbox.xstsAuthorize', 'xbox.profileSettings'].map((e) => calls.count(e))).toEqual([2, 2, 2, 1]);
    expect(calls.count('xbox.profileSettings', { xuid: E.xuid })).toBe(1);
  });

  it('links the demo account the demo script uses', async () => {
    const linked = await linkXboxAccount({ refreshToken: DEMO_ACCOUNTS.xbox.refreshToken }, { xboxAuth });
    expect([linked.externalAccountId, linked.displayName]).toEqual(['2535411111111111', 'SandboxDemo']);
  });

  it.each([
    ['sandbox-msa-no-xbox', 'xbox_account_missing', 'xbox.xstsAuthorize'],
    ['sandbox-msa-child', 'xbox_child_account', 'xbox.xstsAuthorize'],
    ['not-a-token', 'invalid_credentials', 'xbox.msaToken'],
  ])('%s fails with auth/%s at %s', async (refreshToken, code, endpoint) => {
    const error = await failure(linkXboxAccount({ refreshToken }, { xboxAuth }));
    expect([error.kind, error.code, error.endpoint]).toEqual(['auth', code, endpoint]);
  });

  it('admin revokeRefreshTokens → invalid_grant → auth/invalid_credentials', async () => {
    const linked = await linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth });
    expect((await admin(`/xbox/accounts/${E.xuid}/state`, { revokeRefreshTokens: true })).status).toBe(200);
    for (const token of [E.refreshToken, linked.credentials.msaRefreshToken]) {
      const error = await failure(xboxAuth.authenticate(token));
      expect([error.kind, error.code, error.status]).toEqual(['auth', 'invalid_credentials', 400]);
    }
  });

  it('admin "expired token" state and the 16 h XSTS lifetime: profile answers 401 → auth', async () => {
    const linked = await linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth });
    const auth = { xuid: E.xuid, userHash: linked.credentials.userHash, xstsToken: linked.credentials.xstsToken };
    await expect(xboxAuth.getProfile(auth)).resolves.toMatchObject({ gamertag: 'e' });
    clock = T0 + 16 * 3600_000 + 1;
    let error = await failure(xboxAuth.getProfile(auth));
    expect([error.kind, error.status]).toEqual(['auth', 401]);
    clock = T0;
    const fresh = await xboxAuth.authenticate(linked.credentials.msaRefreshToken);
    await admin(`/xbox/accounts/${E.xuid}/state`, { expireTokens: 'xsts' });
    error = await failure(xboxAuth.getProfile({ xuid: E.xuid, userHash: fresh.xsts.userHash, xstsToken: fresh.xsts.token }));
    expect(error.kind).toBe('auth');
  });
});

describe('Xbox sandbox: faults', () => {
  it('rate_limited on XSTS → rate_limited with Retry-After; server_error on MSA → transient', async () => {
    sandbox.state.faults.add({ endpoint: 'xbox.xstsAuthorize', kind: 'rate_limited', retryAfterSeconds: 5 });
    let error = await failure(linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth }));
    expect([error.kind, error.retryAfterMs]).toEqual(['rate_limited', 5_000]);
    sandbox.state.faults.add({ endpoint: 'xbox.msaToken', kind: 'server_error' });
    error = await failure(linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth }));
    expect([error.kind, error.endpoint]).toEqual(['transient', 'xbox.msaToken']);
  });

  it('malformed_json on user/authenticate → malformed; "unauthorized" on MSA is the real invalid_grant', async () => {
    sandbox.state.faults.add({ endpoint: 'xbox.userAuthenticate', kind: 'malformed_json' });
    let error = await failure(linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth }));
    expect([error.kind, error.endpoint]).toEqual(['malformed', 'xbox.userAuthenticate']);
    sandbox.state.faults.add({ endpoint: 'xbox.msaToken', kind: 'unauthorized' });
    error = await failure(linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth }));
    expect([error.kind, error.code]).toEqual(['auth', 'invalid_credentials']);
  });

  it('the profile service failing does not fail the link (avatar is best-effort)', async () => {
    sandbox.state.faults.add({ endpoint: 'xbox.profileSettings', kind: 'server_error' });
    const linked = await linkXboxAccount({ refreshToken: E.refreshToken }, { xboxAuth });
    expect([linked.externalAccountId, linked.avatarUrl]).toEqual([E.xuid, null]);
  });
});
