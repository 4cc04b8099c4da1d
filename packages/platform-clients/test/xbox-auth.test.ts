import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createXboxAuthClient, linkXboxAccount, type XboxAuthClient } from '../src/index.ts';
import { fixture, json, startStubServer, type StubRequest, type StubResponse, type StubServer } from './psn-xbox-stub-server.ts';
import { platformErrorOf } from '@ach/testing';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const CLIENT_ID = '0000000048093EE3';
const XBOX_JSON = 'application/json; charset=utf-8';

let server: StubServer;
let handler: (request: StubRequest) => StubResponse;
let xboxAuth: XboxAuthClient;

const path = (request: StubRequest) => decodeURIComponent(new URL(request.url, 'http://x').pathname);
const form = (request: StubRequest) => Object.fromEntries(new URLSearchParams(request.body));

const xstsRefusal = (xerr: number) =>
  json(JSON.stringify({ Identity: '0', XErr: xerr, Message: '', Redirect: 'https://start.ui.xboxlive.com/CreateAccount' }), 401);

/** Xbox Live with the recorded bodies (xbox-webapi-python's fixtures) and the recorded content types. */
const xboxLike = (request: StubRequest): StubResponse => {
  const p = path(request);
  if (p === '/oauth20_token.srf') {
    return form(request).refresh_token === 'good-refresh' ? json(fixture('xbox/msa-oauth20-token.json')) : json('{"error":"invalid_grant","error_description":"The provided value for the input parameter \'refresh_token\' or \'assertion\' is not valid."}', 400);
  }
  if (p === '/user/authenticate') return json(fixture('xbox/user-authenticate.json'));
  if (p === '/xsts/authorize') return json(fixture('xbox/xsts-authorize.json'));
  if (p === '/users/xuid(2669321029139235)/profile/settings') return json(fixture('xbox/profile-settings.json'), 200, XBOX_JSON);
  return { status: 404, body: '' };
};


beforeAll(async () => {
  server = await startStubServer((request) => handler(request));
  xboxAuth = createXboxAuthClient({
    clientId: CLIENT_ID,
    msaBaseUrl: server.baseUrl,
    userAuthBaseUrl: server.baseUrl,
    xstsBaseUrl: server.baseUrl,
    profileBaseUrl: server.baseUrl,
    now: () => NOW,
    http: { timeoutMs: 2_000 },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  handler = xboxLike;
});

describe('Xbox token chain', () => {
  it('MSA refresh: form grant with the MBI_SSL scope; the rotated refresh token is returned', async () => {
    const msa = await xboxAuth.refreshMsaToken('good-refresh');
    expect(msa).toEqual({ accessToken: 'abcdefg', refreshToken: 'hijklmnop', accessExpiresAt: new Date(NOW + 3600_000) });
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form(request)).toEqual({
      grant_type: 'refresh_token',
      client_id: CLIENT_ID,
      scope: 'service::user.auth.xboxlive.com::MBI_SSL',
      refresh_token: 'good-refresh',
    });
  });

  it('user/authenticate: PascalCase JSON with RpsTicket t=<token>, contract version 1', async () => {
    const user = await xboxAuth.authenticateUser('abcdefg');
    expect(user).toEqual({ token: 'abcdefg', userHash: 'abcdefg', expiresAt: new Date('2999-10-24T03:04:29.603Z') });
    const request = server.requests[0]!;
    expect(request.headers['x-xbl-contract-version']).toBe('1');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      RelyingParty: 'http://auth.xboxlive.com',
      TokenType: 'JWT',
      Properties: { AuthMethod: 'RPS', SiteName: 'user.auth.xboxlive.com', RpsTicket: 't=abcdefg' },
    });
  });

  it('an Azure-app scope sends RpsTicket d=<token>', async () => {
    const azure = createXboxAuthClient({
      clientId: 'azure-app',
      scope: 'Xboxlive.signin Xboxlive.offline_access',
      msaBaseUrl: server.baseUrl,
      userAuthBaseUrl: server.baseUrl,
      xstsBaseUrl: server.baseUrl,
      profileBaseUrl: server.baseUrl,
    });
    await azure.authenticateUser('tok');
    expect(JSON.parse(server.requests[0]!.body).Properties.RpsTicket).toBe('d=tok');
  });

  it('xsts/authorize: RETAIL sandbox, the user token; xuid stays a string, 7-digit fractions parse', async () => {
    const xsts = await xboxAuth.authorizeXsts('user-token-1');
    expect(xsts).toEqual({
      token: '123456789',
      userHash: 'abcdefg',
      xuid: '2669321029139235',
      gamertag: 'e',
      ageGroup: 'Adult',
      expiresAt: new Date('2999-10-10T19:06:35.525Z'),
    });
    const request = server.requests[0]!;
    expect(request.headers['x-xbl-contract-version']).toBe('1');
    expect(JSON.parse(request.body)).toEqual({
      RelyingParty: 'http://xboxlive.com',
      TokenType: 'JWT',
      Properties: { SandboxId: 'RETAIL', UserTokens: ['user-token-1'] },
    });
  });

  it('profile settings: XBL3.0 authorization, avatar and gamerscore from the recorded body', async () => {
    const profile = await xboxAuth.getProfile({ xuid: '2669321029139235', userHash: 'abcdefg', xstsToken: '123456789' });
    expect(profile).toEqual({
      xuid: '2669321029139235',
      gamertag: 'e',
      displayName: null,
      avatarUrl:
        'https://images-eds-ssl.xboxlive.com/image?url=z951ykn43p4FqWbbFvR2Ec.8vbDhj8G2Xe7JngaTToBrrCmIEEXHC9UNrdJ6P7KIl_5PaIHeJ592LG1L.uCOWneEDBhHctvuC06CzW38LKNYiVGTXqxcsQqYGIrr8hFz&format=png',
      gamerscore: 98096,
    });
    const request = server.requests[0]!;
    expect(request.headers.authorization).toBe('XBL3.0 x=abcdefg;123456789');
    expect(request.url).toBe('/users/xuid(2669321029139235)/profile/settings?settings=GameDisplayName,GameDisplayPicRaw,Gamerscore,Gamertag');
  });
});

describe('Xbox rejections', () => {
  it('MSA invalid_grant → auth/invalid_credentials, and nothing further is called', async () => {
    const error = await platformErrorOf(xboxAuth.authenticate('revoked'));
    expect([error.kind, error.code, error.endpoint, error.status]).toEqual(['auth', 'invalid_credentials', 'xbox.msaToken', 400]);
    expect(server.requests.map(path)).toEqual(['/oauth20_token.srf']);
  });

  it('MSA invalid_client → config', async () => {
    handler = () => json('{"error":"invalid_client","error_description":"The client does not exist."}', 400);
    const error = await platformErrorOf(xboxAuth.refreshMsaToken('x'));
    expect(error.kind).toBe('config');
  });

  it.each([
    [2148916233, 'xbox_account_missing'],
    [2148916238, 'xbox_child_account'],
    [2148916235, 'xbox_region_unavailable'],
    [2148916999, 'invalid_credentials'],
  ])('XSTS XErr %d → auth/%s', async (xerr, code) => {
    handler = (request) => (path(request) === '/xsts/authorize' ? xstsRefusal(xerr) : xboxLike(request));
    const error = await platformErrorOf(xboxAuth.authenticate('good-refresh'));
    expect([error.kind, error.code, error.endpoint, error.status]).toEqual(['auth', code, 'xbox.xstsAuthorize', 401]);
    expect(error.message).toContain(String(xerr));
  });

  it('user/authenticate 400 (ticket refused) → auth', async () => {
    handler = (request) => (path(request) === '/user/authenticate' ? { status: 400, body: '' } : xboxLike(request));
    const error = await platformErrorOf(xboxAuth.authenticate('good-refresh'));
    expect([error.kind, error.endpoint]).toEqual(['auth', 'xbox.userAuthenticate']);
  });

  it('429 with Retry-After → rate_limited; 5xx → transient; non-JSON → malformed', async () => {
    handler = () => ({
      status: 429,
      headers: { 'retry-after': '5', 'content-type': XBOX_JSON },
      body: '{"limitType":"Rate","maxRequests":100,"periodInSeconds":15,"currentRequests":101,"version":1}',
    });
    let error = await platformErrorOf(xboxAuth.authorizeXsts('u'));
    expect([error.kind, error.retryAfterMs]).toEqual(['rate_limited', 5_000]);
    handler = () => ({ status: 503, body: '' });
    error = await platformErrorOf(xboxAuth.authorizeXsts('u'));
    expect(error.kind).toBe('transient');
    handler = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>oops</html>' });
    error = await platformErrorOf(xboxAuth.refreshMsaToken('good-refresh'));
    expect(error.kind).toBe('malformed');
    handler = () => json('{"IssueInstant":"2020-01-01T00:00:00Z","NotAfter":"2020-01-02T00:00:00Z","Token":"t","DisplayClaims":{"xui":[{"uhs":"u"}]}}');
    error = await platformErrorOf(xboxAuth.authorizeXsts('u'));
    expect([error.kind, error.endpoint]).toEqual(['malformed', 'xbox.xstsAuthorize']);
  });
});

describe('linkXboxAccount', () => {
  it('runs the chain and returns xuid, gamertag, avatar and the ROTATED refresh token', async () => {
    const linked = await linkXboxAccount({ refreshToken: 'good-refresh' }, { xboxAuth });
    expect(linked).toEqual({
      externalAccountId: '2669321029139235',
      displayName: 'e',
      avatarUrl: expect.stringContaining('https://images-eds-ssl.xboxlive.com/image?url=z951ykn43p4'),
      credentials: { msaRefreshToken: 'hijklmnop', xstsToken: '123456789', userHash: 'abcdefg', xstsExpiresAt: '2999-10-10T19:06:35.525Z' },
      tokenExpiresAt: new Date('2999-10-10T19:06:35.525Z'),
      refreshExpiresAt: null,
    });
    expect(server.requests.map(path)).toEqual(['/oauth20_token.srf', '/user/authenticate', '/xsts/authorize', '/users/xuid(2669321029139235)/profile/settings']);
    expect(JSON.parse(server.requests[2]!.body).Properties.UserTokens).toEqual(['abcdefg']);
  });

  it('still links when the profile service is down (avatar is best-effort)', async () => {
    handler = (request) => (path(request).endsWith('/profile/settings') ? { status: 503, body: '' } : xboxLike(request));
    const linked = await linkXboxAccount({ refreshToken: 'good-refresh' }, { xboxAuth });
    expect([linked.externalAccountId, linked.avatarUrl]).toEqual(['2669321029139235', null]);
  });

  it('a child account fails with auth/xbox_child_account', async () => {
    handler = (request) => (path(request) === '/xsts/authorize' ? xstsRefusal(2148916238) : xboxLike(request));
    const error = await platformErrorOf(linkXboxAccount({ refreshToken: 'good-refresh' }, { xboxAuth }));
    expect([error.kind, error.code]).toEqual(['auth', 'xbox_child_account']);
  });
});
