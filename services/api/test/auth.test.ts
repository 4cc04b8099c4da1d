import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_ATTACKS, USER_ROUTES, respellLastSignatureChar, signHs256 } from '@ach/testing';
import { createTokenVerifier } from '../src/auth/token-verifier.ts';
import { createApiHarness, JWT_SECRET, type ApiHarness } from './support/api-harness.ts';

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

/** The user's HS256 token signed with the harness's secret unless another is given. */
const hs256 = (claims: Record<string, unknown>, secret: string | Uint8Array = JWT_SECRET) => signHs256(claims, secret);

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

  it.each(JWT_ATTACKS)('rejects a token: $name', async (tokenCase) => {
    const token = await tokenCase.token({ userId, secret: JWT_SECRET, rsa: h.jwks });
    const res = await h.app.inject({ method: route.method, url: route.url, payload: route.payload, headers: { authorization: `Bearer ${token}` } });
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
