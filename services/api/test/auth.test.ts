import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, JWT_SECRET, type ApiHarness } from './support/api-harness.ts';

/** Every user route, with a request that is valid apart from the token. */
const USER_ROUTES: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: object }[] = [
  { method: 'POST', url: '/sync/steam', payload: { mode: 'incremental' } },
  { method: 'GET', url: '/sync/steam/status' },
  { method: 'GET', url: '/sync/steam/events' },
  { method: 'GET', url: '/syncs' },
  { method: 'GET', url: `/syncs/${randomUUID()}` },
  { method: 'PUT', url: '/accounts/psn', payload: { npsso: 'a'.repeat(64) } },
  { method: 'PUT', url: '/accounts/xbox', payload: { refreshToken: 'M.R3_BAY.token-value' } },
  { method: 'PUT', url: '/accounts/steam', payload: { steamId: '76561197960287930' } },
  { method: 'GET', url: '/accounts' },
  { method: 'DELETE', url: '/accounts/steam' },
  { method: 'GET', url: '/me/games' },
  { method: 'GET', url: '/me/games/steam/440/achievements' },
  { method: 'POST', url: '/users/sync' },
];

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

let h: ApiHarness;
let jwksOnly: ApiHarness;
let withIssuer: ApiHarness;
let userId: string;
beforeAll(async () => {
  h = await createApiHarness();
  jwksOnly = await createApiHarness({ database: h.database, jwtKeys: 'jwks-only' });
  withIssuer = await createApiHarness({ database: h.database, config: { jwt: { secret: JWT_SECRET, audience: 'authenticated', issuer: 'https://project.supabase.co/auth/v1' } } });
  userId = await h.createUser();
});
afterAll(async () => {
  await withIssuer.close();
  await jwksOnly.close();
  await h.close();
});

type TokenCase = { name: string; code: string; status?: number; token: () => Promise<string> };

const hs256 = (claims: Record<string, unknown>, secret: string | Uint8Array = JWT_SECRET) =>
  new SignJWT({ role: 'authenticated', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);

/** A token signed with the right secret over whatever segments are given (well-formed or not). */
const signedSegments = (header: string, payload: string) => {
  const input = `${header}.${payload}`;
  return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
};

const BAD_TOKENS: TokenCase[] = [
  { name: 'garbage', code: 'invalid_token', token: async () => 'not-a-jwt' },
  { name: 'three garbage segments', code: 'invalid_token', token: async () => 'aaa.bbb.ccc' },
  { name: 'expired', code: 'token_expired', token: () => hs256({ sub: userId, aud: 'authenticated', exp: now() - 3600, iat: now() - 7200 }) },
  { name: 'wrong audience', code: 'invalid_token', token: () => hs256({ sub: userId, aud: 'anon', exp: now() + 3600 }) },
  { name: 'no exp', code: 'invalid_token', token: () => hs256({ sub: userId, aud: 'authenticated' }) },
  { name: 'not yet valid (nbf)', code: 'invalid_token', token: () => hs256({ sub: userId, aud: 'authenticated', exp: now() + 7200, nbf: now() + 3600 }) },
  { name: 'sub not a uuid', code: 'invalid_token', token: () => hs256({ sub: 'admin', aud: 'authenticated', exp: now() + 3600 }) },
  {
    name: 'rightly signed, with a crit header',
    code: 'invalid_token',
    token: async () => signedSegments(b64({ alg: 'HS256', typ: 'JWT', crit: ['exp'] }), b64({ sub: userId, aud: 'authenticated', role: 'authenticated', exp: now() + 3600 })),
  },
  { name: 'rightly signed, payload not JSON', code: 'invalid_token', token: async () => signedSegments(b64({ alg: 'HS256', typ: 'JWT' }), Buffer.from('{"sub":').toString('base64url')) },
  { name: 'four segments', code: 'invalid_token', token: async () => `${await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 })}.extra` },
  { name: 'signed with another secret', code: 'invalid_token', token: () => hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, 'another-secret-another-secret-another!!') },
  {
    name: 'alg none',
    code: 'invalid_token',
    token: async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, aud: 'authenticated', role: 'authenticated', exp: now() + 3600 })}.`,
  },
  {
    name: 'HS256 signed with the JWKS public key (algorithm confusion)',
    code: 'invalid_token',
    token: () => hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, new TextEncoder().encode(h.jwks.publicKeyPem)),
  },
  { name: 'RS256 with a kid the JWKS does not have', code: 'invalid_token', token: async () => {
    const token = await h.jwks.signRs256({ sub: userId });
    const [, payload, signature] = token.split('.');
    return `${b64({ alg: 'RS256', kid: 'unknown-kid', typ: 'JWT' })}.${payload}.${signature}`;
  } },
  { name: 'anon role', code: 'forbidden_role', status: 403, token: () => hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, role: 'anon' }) },
];

describe.each(USER_ROUTES)('$method $url', (route) => {
  it('401 missing_token without a token', async () => {
    const res = await h.app.inject({ method: route.method, url: route.url, payload: route.payload });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 401, code: 'missing_token', title: 'Unauthorized', type: expect.any(String), detail: expect.any(String) });
  });

  it('401 invalid_token for a non-bearer Authorization header', async () => {
    const res = await h.app.inject({ method: route.method, url: route.url, payload: route.payload, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_token');
  });

  it.each(BAD_TOKENS)('rejects a token: $name', async (tokenCase) => {
    const res = await h.app.inject({ method: route.method, url: route.url, payload: route.payload, headers: { authorization: `Bearer ${await tokenCase.token()}` } });
    expect(res.statusCode).toBe(tokenCase.status ?? 401);
    expect(res.json().code).toBe(tokenCase.code);
  });

  it('accepts an RS256 token from the JWKS (gets past authentication)', async () => {
    const res = await h.app.inject({ method: route.method, url: route.url, payload: route.payload, headers: { authorization: `Bearer ${await h.jwks.signRs256({ sub: userId })}` } });
    expect([401, 403]).not.toContain(res.statusCode);
  });
});

describe('key types decide the algorithm', () => {
  it('an app with only a JWKS refuses every HS256 token, even one signed with the public key', async () => {
    const app = jwksOnly.app;
    expect((await app.inject({ method: 'GET', url: '/accounts', headers: { authorization: `Bearer ${await jwksOnly.jwks.signRs256({ sub: userId })}` } })).statusCode).toBe(200);
    for (const token of [
      await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }),
      await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, new TextEncoder().encode(jwksOnly.jwks.publicKeyPem)),
    ]) {
      const res = await app.inject({ method: 'GET', url: '/accounts', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_token');
    }
  });

  it('checks iss when JWT_ISSUER is set', async () => {
    const good = await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, iss: 'https://project.supabase.co/auth/v1' });
    const bad = await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, iss: 'https://evil.example/auth/v1' });
    expect((await withIssuer.app.inject({ method: 'GET', url: '/accounts', headers: { authorization: `Bearer ${good}` } })).statusCode).toBe(200);
    const res = await withIssuer.app.inject({ method: 'GET', url: '/accounts', headers: { authorization: `Bearer ${bad}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_token');
  });
});
