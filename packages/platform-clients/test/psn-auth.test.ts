import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPsnAuthClient, linkPsnAccount, PSN_APP_OAUTH, type PsnAuthClient } from '../src/index.ts';
import { fixture, json, startStubServer, type StubRequest, type StubResponse, type StubServer } from './psn-xbox-stub-server.ts';
import { platformErrorOf } from '@ach/testing';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const GOOD_NPSSO = 'a'.repeat(64);
const CODE = 'v3.Abc123';
const ERROR_LOCATION =
  'https://my.account.sony.com/sonyacct/signin/?duid=0000&error=login_required&error_code=4165&error_description=User+is+not+authenticated&no_captcha=true';

let server: StubServer;
let handler: (request: StubRequest) => StubResponse;
let psnAuth: PsnAuthClient;

const path = (request: StubRequest) => new URL(request.url, 'http://x').pathname;
const query = (request: StubRequest) => new URL(request.url, 'http://x').searchParams;
const form = (request: StubRequest) => Object.fromEntries(new URLSearchParams(request.body));

/** The real PSN flow with recorded bodies: authorize 302 → token (fixture) → trophySummary (fixture) → profile (fixture). */
const psnLike = (request: StubRequest): StubResponse => {
  const p = path(request);
  if (p === '/api/authz/v3/oauth/authorize') {
    const good = request.headers.cookie === `npsso=${GOOD_NPSSO}`;
    return { status: 302, headers: { location: good ? `com.scee.psxandroid.scecompcall://redirect/?code=${CODE}&cid=7d2c4e0a` : ERROR_LOCATION } };
  }
  if (p === '/api/authz/v3/oauth/token') {
    const grant = form(request).grant_type;
    return json(fixture(grant === 'refresh_token' ? 'psn/auth-token-refresh.json' : 'psn/auth-token-authorization-code.json'), 200, 'application/json;charset=UTF-8');
  }
  if (p === '/api/trophy/v1/users/me/trophySummary') return json(fixture('psn/trophy-summary.json'));
  if (p === '/api/userProfile/v1/internal/users/8520698476712646544/profiles') return json(fixture('psn/profile.json'));
  return json('{"error":{"code":2240525,"message":"Resource not found"}}', 404);
};


beforeAll(async () => {
  server = await startStubServer((request) => handler(request));
  psnAuth = createPsnAuthClient({ authBaseUrl: server.baseUrl, apiBaseUrl: `${server.baseUrl}/`, now: () => NOW, http: { timeoutMs: 2_000 } });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  handler = psnLike;
});

describe('PSN NPSSO exchange', () => {
  it('sends the PS App authorize request with the NPSSO cookie, without following the 302', async () => {
    await expect(psnAuth.authorizationCodeFromNpsso(GOOD_NPSSO)).resolves.toBe(CODE);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe('GET');
    expect(request!.headers.cookie).toBe(`npsso=${GOOD_NPSSO}`);
    const q = query(request!);
    expect(Object.fromEntries(q)).toEqual({
      access_type: 'offline',
      client_id: '09515159-7237-4370-9b40-3806e67c0891',
      redirect_uri: 'com.scee.psxandroid.scecompcall://redirect',
      response_type: 'code',
      scope: 'psn:mobile.v2.core psn:clientapp',
    });
  });

  it('exchanges the code with Basic client auth and parses the recorded token answer', async () => {
    const tokens = await psnAuth.exchangeNpsso(GOOD_NPSSO);
    expect(tokens).toEqual({
      accessToken: 'REDACTED',
      refreshToken: 'REDACTED',
      accessExpiresAt: new Date(NOW + 3599 * 1000),
      refreshExpiresAt: new Date(NOW + 5183999 * 1000),
      scope: 'psn:mobile.v2.core psn:clientapp',
    });
    const token = server.requests[1]!;
    expect(token.method).toBe('POST');
    expect(path(token)).toBe('/api/authz/v3/oauth/token');
    expect(token.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from(`${PSN_APP_OAUTH.clientId}:${PSN_APP_OAUTH.clientSecret}`).toString('base64')}`);
    // The same Basic value psnawp hard-codes.
    expect(token.headers.authorization).toBe('Basic MDk1MTUxNTktNzIzNy00MzcwLTliNDAtMzgwNmU2N2MwODkxOnVjUGprYTV0bnRCMktxc1A=');
    expect(form(token)).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: 'com.scee.psxandroid.scecompcall://redirect',
      scope: 'psn:mobile.v2.core psn:clientapp',
      token_format: 'jwt',
    });
  });

  it('a bad NPSSO (302 to the sign-in page with error=login_required) is auth/invalid_credentials and no token call is made', async () => {
    const error = await platformErrorOf(psnAuth.exchangeNpsso('b'.repeat(64)));
    expect([error.kind, error.code, error.endpoint, error.status]).toEqual(['auth', 'invalid_credentials', 'psn.authorize', 302]);
    expect(error.message).toContain('4165');
    expect(server.requests.map(path)).toEqual(['/api/authz/v3/oauth/authorize']);
  });

  it('a 302 without a code is auth/invalid_credentials too', async () => {
    handler = () => ({ status: 302, headers: { location: 'com.scee.psxandroid.scecompcall://redirect/?cid=1' } });
    const error = await platformErrorOf(psnAuth.authorizationCodeFromNpsso(GOOD_NPSSO));
    expect([error.kind, error.code]).toEqual(['auth', 'invalid_credentials']);
  });

  it('refuses an NPSSO that could smuggle another cookie, without calling PSN', async () => {
    const error = await platformErrorOf(psnAuth.exchangeNpsso(`${GOOD_NPSSO}; other=1`));
    expect([error.kind, error.code]).toEqual(['auth', 'invalid_credentials']);
    expect(server.requests).toHaveLength(0);
  });

  it('authorize 429 → rate_limited with Retry-After; 503 → transient; 200 page → malformed', async () => {
    handler = () => ({ status: 429, headers: { 'retry-after': '12' }, body: '' });
    let error = await platformErrorOf(psnAuth.authorizationCodeFromNpsso(GOOD_NPSSO));
    expect([error.kind, error.retryAfterMs]).toEqual(['rate_limited', 12_000]);
    handler = () => ({ status: 503, body: 'unavailable' });
    error = await platformErrorOf(psnAuth.authorizationCodeFromNpsso(GOOD_NPSSO));
    expect(error.kind).toBe('transient');
    handler = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>sign in</html>' });
    error = await platformErrorOf(psnAuth.authorizationCodeFromNpsso(GOOD_NPSSO));
    expect(error.kind).toBe('malformed');
  });
});

describe('PSN token endpoint', () => {
  it('refresh sends the refresh grant and keeps the shrinking refresh lifetime from the answer', async () => {
    const tokens = await psnAuth.refresh('stored-refresh');
    expect(tokens.refreshExpiresAt).toEqual(new Date(NOW + 5183990 * 1000));
    expect(tokens.scope).toBe('psn:clientapp psn:mobile.v2.core');
    expect(form(server.requests[0]!)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'stored-refresh',
      scope: 'psn:mobile.v2.core psn:clientapp',
      token_format: 'jwt',
    });
  });

  it('400 invalid_grant (dead refresh token) → auth/invalid_credentials', async () => {
    handler = () =>
      json('{"error":"invalid_grant","error_description":"Invalid refresh token","error_code":4159,"docs":"https://auth.api.sonyentertainmentnetwork.com/docs/","parameters":[]}', 400);
    const error = await platformErrorOf(psnAuth.refresh('dead'));
    expect([error.kind, error.code, error.status]).toEqual(['auth', 'invalid_credentials', 400]);
    expect(error.message).toContain('4159');
  });

  it('400 invalid_client → config', async () => {
    handler = () => json('{"error":"invalid_client","error_description":"Bad client credentials","error_code":4102}', 401);
    const error = await platformErrorOf(psnAuth.refresh('x'));
    expect(error.kind).toBe('config');
  });

  it('429 → rate_limited with retryAfterMs; 500 → transient; non-JSON 200 → malformed; missing fields → malformed', async () => {
    handler = () => ({ status: 429, headers: { 'retry-after': '30' }, body: '' });
    let error = await platformErrorOf(psnAuth.refresh('x'));
    expect([error.kind, error.code, error.retryAfterMs]).toEqual(['rate_limited', 'rate_limited', 30_000]);
    handler = () => json('{"error":"server_error"}', 500);
    error = await platformErrorOf(psnAuth.refresh('x'));
    expect([error.kind, error.code]).toEqual(['transient', 'platform_unavailable']);
    handler = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>maintenance</html>' });
    error = await platformErrorOf(psnAuth.refresh('x'));
    expect([error.kind, error.code]).toEqual(['malformed', 'platform_malformed_response']);
    handler = () => json('{"access_token":"a","token_type":"bearer","expires_in":3599,"scope":"s"}');
    error = await platformErrorOf(psnAuth.refresh('x'));
    expect(error.kind).toBe('malformed');
  });
});

describe('PSN account identity', () => {
  it('reads the account id from trophySummary(me) as a string and the onlineId/avatar from the profile', async () => {
    const me = await psnAuth.getMe('access-1');
    expect(me).toEqual({
      accountId: '8520698476712646544',
      onlineId: 'VaultTec_Trading',
      avatarUrl: 'http://static-resource.np.community.playstation.net/avatar_xl/default/Defaultavatar_xl.png',
    });
    expect(server.requests.map(path)).toEqual(['/api/trophy/v1/users/me/trophySummary', '/api/userProfile/v1/internal/users/8520698476712646544/profiles']);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer access-1')).toBe(true);
  });

  it('keeps a 19-digit account id exact (beyond 2^53)', async () => {
    handler = (request) => {
      if (path(request).endsWith('/trophySummary')) {
        return json(fixture('psn/trophy-summary.json').replace('8520698476712646544', '6515971742264256071'));
      }
      return json(fixture('psn/profile.json'));
    };
    const me = await psnAuth.getMe('t');
    expect(me.accountId).toBe('6515971742264256071');
    expect(Number(me.accountId).toString()).not.toBe('6515971742264256071');
    expect(path(server.requests[1]!)).toBe('/api/userProfile/v1/internal/users/6515971742264256071/profiles');
  });

  it('401 on the API → auth; 403 envelope → private', async () => {
    handler = () => json('{"error":{"referenceId":"r","code":2241025,"message":"Invalid token"}}', 401);
    let error = await platformErrorOf(psnAuth.getMe('stale'));
    expect([error.kind, error.endpoint]).toEqual(['auth', 'psn.trophySummary']);
    handler = () => json(fixture('psn/trophy-summary-private-403.json'), 403);
    error = await platformErrorOf(psnAuth.getMe('t'));
    expect(error.kind).toBe('private');
  });
});

describe('linkPsnAccount', () => {
  it('returns ids, names and sealed-ready credentials', async () => {
    const linked = await linkPsnAccount({ npsso: ` ${GOOD_NPSSO}\n` }, { psnAuth });
    expect(linked).toEqual({
      externalAccountId: '8520698476712646544',
      displayName: 'VaultTec_Trading',
      avatarUrl: 'http://static-resource.np.community.playstation.net/avatar_xl/default/Defaultavatar_xl.png',
      credentials: {
        accessToken: 'REDACTED',
        refreshToken: 'REDACTED',
        accessExpiresAt: new Date(NOW + 3599_000).toISOString(),
        refreshExpiresAt: new Date(NOW + 5183999_000).toISOString(),
      },
      tokenExpiresAt: new Date(NOW + 3599_000),
      refreshExpiresAt: new Date(NOW + 5183999_000),
    });
    expect(server.requests.map(path)).toEqual([
      '/api/authz/v3/oauth/authorize',
      '/api/authz/v3/oauth/token',
      '/api/trophy/v1/users/me/trophySummary',
      '/api/userProfile/v1/internal/users/8520698476712646544/profiles',
    ]);
  });

  it('a rejected NPSSO fails with auth/invalid_credentials', async () => {
    const error = await platformErrorOf(linkPsnAccount({ npsso: 'c'.repeat(64) }, { psnAuth }));
    expect([error.kind, error.code]).toEqual(['auth', 'invalid_credentials']);
  });
});
