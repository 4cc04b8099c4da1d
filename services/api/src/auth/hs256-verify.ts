import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * HS256 verification on node:crypto, synchronously. jose's WebCrypto path costs ~0.2 ms of thread
 * pool round-trip per token under load, a tenth of a POST /sync/:platform; this is a few µs.
 * Deliberately narrow: exactly `alg: HS256`, no `crit`, and the same registered-claim checks jose
 * applies (exp required, nbf, aud, iss, clock tolerance).
 */
export class Hs256VerifyError extends Error {
  readonly reason: 'malformed' | 'signature' | 'expired' | 'claims';
  constructor(reason: Hs256VerifyError['reason'], message: string) {
    super(message);
    this.name = 'Hs256VerifyError';
    this.reason = reason;
  }
}

const headerSchema = z.object({ alg: z.literal('HS256'), crit: z.undefined().optional() }).loose();
const registeredClaims = z
  .object({
    exp: z.number(),
    nbf: z.number().optional(),
    iat: z.number().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iss: z.string().optional(),
  })
  .loose();

export interface Hs256Options {
  secret: string;
  audience: string;
  issuer?: string;
  clockToleranceS: number;
}

export function createHs256Verifier(options: Hs256Options) {
  // A KeyObject made once: createHmac re-validates a raw Buffer key on every call (~18 µs each).
  const secret = createSecretKey(Buffer.from(options.secret, 'utf8'));
  const decodeJson = (part: string) => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    } catch {
      throw new Hs256VerifyError('malformed', 'segment is not base64url JSON');
    }
  };

  return function verifyHs256(token: string): Record<string, unknown> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Hs256VerifyError('malformed', 'not a compact JWS');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    if (!headerSchema.safeParse(decodeJson(headerPart)).success) throw new Hs256VerifyError('malformed', 'header is not plain HS256');
    const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
    const given = Buffer.from(signaturePart, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Hs256VerifyError('signature', 'signature mismatch');

    const payload = decodeJson(payloadPart);
    const claims = registeredClaims.safeParse(payload);
    if (!claims.success) throw new Hs256VerifyError('claims', 'registered claims missing or malformed');
    const now = Math.floor(Date.now() / 1000);
    const tolerance = options.clockToleranceS;
    if (claims.data.exp <= now - tolerance) throw new Hs256VerifyError('expired', 'token expired');
    if (claims.data.nbf !== undefined && claims.data.nbf > now + tolerance) throw new Hs256VerifyError('claims', 'token not yet valid');
    const audiences = claims.data.aud === undefined ? [] : Array.isArray(claims.data.aud) ? claims.data.aud : [claims.data.aud];
    if (!audiences.includes(options.audience)) throw new Hs256VerifyError('claims', 'wrong audience');
    if (options.issuer !== undefined && claims.data.iss !== options.issuer) throw new Hs256VerifyError('claims', 'wrong issuer');
    return payload as Record<string, unknown>;
  };
}
