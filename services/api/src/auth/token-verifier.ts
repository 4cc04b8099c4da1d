import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { ProblemError } from '../problem.ts';
import { isCanonicalBase64url } from './canonical-base64url.ts';
import { createHs256Verifier, Hs256VerifyError } from './hs256-verify.ts';

export interface AuthUser {
  id: string;
  role: string;
  email: string | null;
  isAdmin: boolean;
}

export interface TokenVerifierOptions {
  /** HS256 shared secret (Supabase's legacy JWT secret). */
  secret?: string;
  /** JWKS endpoint for RS256/ES256 (Supabase's asymmetric signing keys). */
  jwksUrl?: string;
  audience: string;
  issuer?: string;
}

export type TokenVerifier = (token: string) => Promise<AuthUser>;

/**
 * The key decides the algorithm, never the token: HS256 only against the shared secret, RS256 /
 * ES256 only against the JWKS. So `alg: none` has no key, and an HS256 token "signed" with the
 * public key is checked against the secret (or rejected when there is none) — algorithm confusion
 * has nowhere to land.
 */
const SYMMETRIC_ALGS = ['HS256'];
const ASYMMETRIC_ALGS = ['RS256', 'ES256'];

const claimsSchema = z.object({
  sub: z.uuid(),
  role: z.string().optional(),
  email: z.string().optional(),
  app_metadata: z.object({ role: z.string().optional() }).loose().optional(),
});

type Claims = z.output<typeof claimsSchema>;

/** No `crit` extensions are understood here, so a token that names one is refused (RFC 7515 §4.1.11). */
const headerSchema = z.object({ alg: z.string(), crit: z.undefined().optional() }).loose();

/**
 * The protected header's `alg`, which picks the key, checked once per distinct header segment:
 * an issuer signs every token with the same header. Bounded, so ever-new headers only empty the
 * cache. Throws on a header that is not base64url JSON of that shape.
 */
function createAlgReader(maxEntries = 64): (token: string) => string {
  const algBySegment = new Map<string, string>();
  return (token) => {
    const segment = token.slice(0, token.indexOf('.'));
    const known = algBySegment.get(segment);
    if (known !== undefined) return known;
    const { alg } = headerSchema.parse(JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')));
    if (algBySegment.size >= maxEntries) algBySegment.clear();
    algBySegment.set(segment, alg);
    return alg;
  };
}

const invalid = (detail = 'The access token is invalid') => new ProblemError(401, 'invalid_token', detail, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (!options.secret && !options.jwksUrl) throw new Error('a JWT secret or a JWKS URL is required');
  const verifyHs256 = options.secret
    ? createHs256Verifier({ secret: options.secret, audience: options.audience, issuer: options.issuer, clockToleranceS: 5, claims: claimsSchema })
    : undefined;
  const algOf = createAlgReader();
  // jose caches the fetched set and refetches on an unknown kid (at most once per cooldown).
  const jwks: JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 2_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
    : undefined;
  const verifyOptions = {
    audience: options.audience,
    ...(options.issuer ? { issuer: options.issuer } : {}),
    requiredClaims: ['exp', 'sub'],
    clockTolerance: 5,
  };

  return async function verifyToken(token: string): Promise<AuthUser> {
    let alg: string;
    try {
      alg = algOf(token);
    } catch {
      throw invalid('The access token is malformed');
    }
    let claims: Claims;
    try {
      if (SYMMETRIC_ALGS.includes(alg) && verifyHs256) {
        // Registered and application claims checked in the same pass.
        claims = verifyHs256(token);
      } else if (ASYMMETRIC_ALGS.includes(alg) && jwks) {
        // jose decodes the signature leniently; one token must have exactly one spelling.
        if (!isCanonicalBase64url(token.slice(token.lastIndexOf('.') + 1))) throw invalid();
        const { payload } = await jwtVerify(token, jwks, { ...verifyOptions, algorithms: ASYMMETRIC_ALGS });
        const parsed = claimsSchema.safeParse(payload);
        if (!parsed.success) throw invalid('The access token has no valid subject');
        claims = parsed.data;
      } else {
        throw invalid('The access token uses an algorithm this server does not accept');
      }
    } catch (error) {
      if (error instanceof ProblemError) throw error;
      if (error instanceof joseErrors.JWTExpired || (error instanceof Hs256VerifyError && error.reason === 'expired')) {
        throw new ProblemError(401, 'token_expired', 'The access token has expired', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      }
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof Error && !(error instanceof joseErrors.JOSEError) && !(error instanceof Hs256VerifyError))) {
        // The key server is unreachable: not the caller's fault, and not a reason to say "invalid".
        throw new ProblemError(503, 'auth_unavailable', 'Token keys could not be fetched; try again', { headers: { 'retry-after': '5' }, cause: error });
      }
      throw invalid();
    }
    const role = claims.role ?? '';
    return {
      // A UUID in any case is the same user to Postgres, but not to the Redis keys (rate limits,
      // idempotency, event streams) or the credentials' associated data built from it: one spelling.
      id: claims.sub.toLowerCase(),
      role,
      email: claims.email ?? null,
      isAdmin: role === 'service_role' || claims.app_metadata?.role === 'admin',
    };
  };
}
