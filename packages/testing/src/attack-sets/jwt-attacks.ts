import { createHmac, randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

/**
 * The API's JWT attack set: tokens an attacker can make (forged, unsigned, expired, algorithm
 * confusion, non-canonical signatures, admin roles on user routes) and every user route with a
 * request that is valid apart from the token. Shared by the API's auth test (app.inject) and the
 * reliability security sweep (real HTTP against the running system).
 */

/** Every user route, with a request that is valid apart from the token. */
export const USER_ROUTES: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: object }[] = [
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

/** An RSA key that signs RS256 tokens, and its public key as PEM (what an algorithm-confusion attacker uses as an HMAC secret). */
export interface Rs256Signer {
  publicKeyPem: string;
  signRs256: (payload: JWTPayload) => Promise<string>;
}

/** A fresh RSA key nobody trusts: for systems without a JWKS, the RS256 cases are tokens of a stranger's key. */
export async function untrustedRs256Signer(): Promise<Rs256Signer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return {
    publicKeyPem: await exportSPKI(publicKey),
    signRs256: (payload) =>
      new SignJWT({ role: 'authenticated', ...payload })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-rsa', typ: 'JWT' })
        .setAudience('authenticated')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
  };
}

/** What a case needs to make its token: whose token, the API's HS256 secret, and an RSA key. */
export interface JwtAttackContext {
  userId: string;
  secret: string;
  rsa: Rs256Signer;
}

export interface JwtAttack {
  name: string;
  /** The problem code the API answers with. */
  code: string;
  /** 401 unless said. */
  status?: number;
  token: (context: JwtAttackContext) => Promise<string>;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** An HS256 token (role `authenticated` unless the claims say otherwise). */
export const signHs256 = (claims: Record<string, unknown>, secret: string | Uint8Array) =>
  new SignJWT({ role: 'authenticated', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);

/** An unsigned (`alg: none`) token for the user, valid in every other respect. */
export const unsignedToken = (userId: string) =>
  `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, aud: 'authenticated', role: 'authenticated', exp: now() + 3600 })}.`;

/** A token signed with the right secret over whatever segments are given (well-formed or not). */
const signedSegments = (secret: string, header: string, payload: string) => {
  const input = `${header}.${payload}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same token with its signature's last character swapped for another that decodes to the same
 * bytes (flipping the lowest of the spare bits: 2 spare in HS256's 43 characters, 4 in RS256's 342).
 */
export const respellLastSignatureChar = (token: string) => {
  const last = token.at(-1)!;
  return `${token.slice(0, -1)}${BASE64URL_ALPHABET[BASE64URL_ALPHABET.indexOf(last) ^ 1]}`;
};

export const JWT_ATTACKS: JwtAttack[] = [
  { name: 'garbage', code: 'invalid_token', token: async () => 'not-a-jwt' },
  { name: 'three garbage segments', code: 'invalid_token', token: async () => 'aaa.bbb.ccc' },
  { name: 'expired', code: 'token_expired', token: ({ userId, secret }) => signHs256({ sub: userId, aud: 'authenticated', exp: now() - 3600, iat: now() - 7200 }, secret) },
  { name: 'wrong audience', code: 'invalid_token', token: ({ userId, secret }) => signHs256({ sub: userId, aud: 'anon', exp: now() + 3600 }, secret) },
  { name: 'no exp', code: 'invalid_token', token: ({ userId, secret }) => signHs256({ sub: userId, aud: 'authenticated' }, secret) },
  { name: 'not yet valid (nbf)', code: 'invalid_token', token: ({ userId, secret }) => signHs256({ sub: userId, aud: 'authenticated', exp: now() + 7200, nbf: now() + 3600 }, secret) },
  { name: 'sub not a uuid', code: 'invalid_token', token: ({ secret }) => signHs256({ sub: 'admin', aud: 'authenticated', exp: now() + 3600 }, secret) },
  {
    name: 'rightly signed, with a crit header',
    code: 'invalid_token',
    token: async ({ userId, secret }) =>
      signedSegments(secret, b64({ alg: 'HS256', typ: 'JWT', crit: ['exp'] }), b64({ sub: userId, aud: 'authenticated', role: 'authenticated', exp: now() + 3600 })),
  },
  {
    name: 'rightly signed, payload not JSON',
    code: 'invalid_token',
    token: async ({ secret }) => signedSegments(secret, b64({ alg: 'HS256', typ: 'JWT' }), Buffer.from('{"sub":').toString('base64url')),
  },
  { name: 'four segments', code: 'invalid_token', token: async ({ userId, secret }) => `${await signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, secret)}.extra` },
  {
    name: 'signed with another secret',
    code: 'invalid_token',
    token: ({ userId }) => signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, 'another-secret-another-secret-another!!'),
  },
  { name: 'alg none', code: 'invalid_token', token: async ({ userId }) => unsignedToken(userId) },
  {
    name: 'HS256 signed with the JWKS public key (algorithm confusion)',
    code: 'invalid_token',
    token: ({ userId, rsa }) => signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, new TextEncoder().encode(rsa.publicKeyPem)),
  },
  {
    name: 'RS256 with a kid the JWKS does not have',
    code: 'invalid_token',
    token: async ({ userId, rsa }) => {
      const token = await rsa.signRs256({ sub: userId });
      const [, payload, signature] = token.split('.');
      return `${b64({ alg: 'RS256', kid: 'unknown-kid', typ: 'JWT' })}.${payload}.${signature}`;
    },
  },
  { name: 'anon role', code: 'forbidden_role', status: 403, token: ({ userId, secret }) => signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, role: 'anon' }, secret) },
  // Admin tokens are for the admin routes: a user route would act on whoever their `sub` names.
  {
    name: 'service_role (an admin token)',
    code: 'forbidden_role',
    status: 403,
    token: ({ userId, secret }) => signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, role: 'service_role' }, secret),
  },
  {
    name: 'app_metadata.role admin (an admin token)',
    code: 'forbidden_role',
    status: 403,
    token: ({ userId, secret }) => signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600, app_metadata: { role: 'admin' } }, secret),
  },
  {
    name: 'HS256 signature with a non-canonical last character (same bytes)',
    code: 'invalid_token',
    token: async ({ userId, secret }) => respellLastSignatureChar(await signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, secret)),
  },
  {
    name: 'RS256 signature with a non-canonical last character (same bytes)',
    code: 'invalid_token',
    token: async ({ userId, rsa }) => respellLastSignatureChar(await rsa.signRs256({ sub: userId })),
  },
  {
    name: 'signature with base64 padding',
    code: 'invalid_token',
    token: async ({ userId, secret }) => `${await signHs256({ sub: userId, aud: 'authenticated', exp: now() + 3600 }, secret)}=`,
  },
];
