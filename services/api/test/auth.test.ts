import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/auth/token-verifier.ts';
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

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same token with its signature's last character swapped for another that decodes to the same
 * bytes (flipping the lowest of the spare bits: 2 spare in HS256's 43 characters, 4 in RS256's 342).
 */
const respellLastSignatureChar = (token: string) => {
  const last = token.at(-1)!;
  return `${token.slice(0, -1)}${BASE64URL_ALPHABET[BASE64URL_ALPHABET.indexOf(last) ^ 1]}`;
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
  // Admin tokens are for the admin routes: a user route would act on whoever their `sub` names.
  { name: 'service_role (an admin token)', code: 'forbidden_role', status: 403, token: () => hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, role: 'service_role' }) },
  {
    name: 'app_metadata.role admin (an admin token)',
    code: 'forbidden_role',
    status: 403,
    token: () => hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, app_metadata: { role: 'admin' } }),
  },
  {
    name: 'HS256 signature with a non-canonical last character (same bytes)',
    code: 'invalid_token',
    token: async () => respellLastSignatureChar(await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 })),
  },
  { name: 'RS256 signature with a non-canonical last character (same bytes)', code: 'invalid_token', token: async () => respellLastSignatureChar(await h.jwks.signRs256({ sub: userId })) },
  { name: 'signature with base64 padding', code: 'invalid_token', token: async () => `${await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 })}=` },
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

describe('one token, one spelling', () => {
  const verifier = () => createTokenVerifier({ secret: JWT_SECRET, audience: 'authenticated' });
  /** A valid HS256 token whose signature has a `-` or `_`, so its standard-base64 spelling differs. */
  const tokenWithUrlSafeChars = async () => {
    for (let i = 0; ; i++) {
      const token = await hs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, n: i });
      if (/[-_]/.test(token.split('.')[2]!)) return token;
    }
  };

  it('the verifier itself accepts the canonical spelling and refuses every other one of the same signature', async () => {
    const verify = verifier();
    const token = await tokenWithUrlSafeChars();
    await expect(verify(token)).resolves.toMatchObject({ id: userId });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    for (const respelled of [
      respellLastSignatureChar(token),
      `${token}=`,
      `${header}.${payload}.${signature.replace(/-/g, '+').replace(/_/g, '/')}`,
      `${header}.${payload}.${signature} `,
    ]) {
      expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      await expect(verify(respelled), respelled).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    }
  });
});

describe('the subject is one user whatever the case of its UUID', () => {
  it('an upper-case sub shares the lower-case one\'s idempotency keys and data', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'steam');
    const lower = await hs256({ sub: user, aud: 'authenticated', exp: now() + 3600 });
    const upper = await hs256({ sub: user.toUpperCase(), aud: 'authenticated', exp: now() + 3600 });
    const key = `case-${randomUUID()}`;
    const first = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: { authorization: `Bearer ${lower}`, 'idempotency-key': key } });
    expect(first.statusCode).toBe(202);
    const again = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: { authorization: `Bearer ${upper}`, 'idempotency-key': key } });
    expect(again.statusCode).toBe(202);
    expect(again.json().syncId).toBe(first.json().syncId);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const history = await h.app.inject({ method: 'GET', url: `/syncs/${first.json().syncId}`, headers: { authorization: `Bearer ${upper}` } });
    expect(history.statusCode).toBe(200);
  });

  it('the verified id is lower-case for HS256 and JWKS tokens alike', async () => {
    const upper = userId.toUpperCase();
    expect((await createTokenVerifier({ secret: JWT_SECRET, audience: 'authenticated' })(await hs256({ sub: upper, aud: 'authenticated', exp: now() + 3600 }))).id).toBe(userId);
    expect((await createTokenVerifier({ jwksUrl: h.jwks.url, audience: 'authenticated' })(await h.jwks.signRs256({ sub: upper }))).id).toBe(userId);
  });
});
