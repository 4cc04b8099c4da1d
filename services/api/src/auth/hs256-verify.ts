import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * HS256 verification on node:crypto, synchronously, in one pass over the token. jose's WebCrypto
 * path costs ~0.2 ms of thread pool round-trip per token under load, a tenth of a POST
 * /sync/:platform; this is a few µs. Deliberately narrow: the signature and the same
 * registered-claim checks jose applies (exp required, nbf, aud, iss, clock tolerance). The caller
 * has already read the header (token-verifier.ts: `alg` is HS256, no `crit`).
 */
export class Hs256VerifyError extends Error {
  readonly reason: 'malformed' | 'signature' | 'expired' | 'claims';
  constructor(reason: Hs256VerifyError['reason'], message: string) {
    super(message);
    this.name = 'Hs256VerifyError';
    this.reason = reason;
  }
}

const registeredClaims = z
  .object({
    exp: z.number(),
    nbf: z.number().optional(),
    iat: z.number().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iss: z.string().optional(),
  })
  .loose();

export interface Hs256Options<Claims extends z.ZodObject> {
  secret: string;
  audience: string;
  issuer?: string;
  clockToleranceS: number;
  /** The application's claims, parsed in the same pass as the registered ones. */
  claims: Claims;
}

const decodeJson = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new Hs256VerifyError('malformed', 'segment is not base64url JSON');
  }
};

export function createHs256Verifier<Claims extends z.ZodObject>(options: Hs256Options<Claims>) {
  // A KeyObject made once: createHmac re-validates a raw Buffer key on every call (~18 µs each).
  const secret = createSecretKey(Buffer.from(options.secret, 'utf8'));
  const payloadSchema = registeredClaims.extend(options.claims.shape);

  return function verifyHs256(token: string): z.output<typeof registeredClaims> & z.output<Claims> {
    const firstDot = token.indexOf('.');
    const lastDot = token.lastIndexOf('.');
    if (firstDot <= 0 || lastDot === firstDot || token.indexOf('.', firstDot + 1) !== lastDot) {
      throw new Hs256VerifyError('malformed', 'not a compact JWS');
    }
    // The canonical text is compared, not the decoded bytes: decoding forgives padding, `+` `/` and
    // a last character's unused bits, which would give one signature several spellings.
    const expected = Buffer.from(createHmac('sha256', secret).update(token.slice(0, lastDot)).digest('base64url'));
    const given = Buffer.from(token.slice(lastDot + 1), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Hs256VerifyError('signature', 'signature mismatch');

    const parsed = payloadSchema.safeParse(decodeJson(token.slice(firstDot + 1, lastDot)));
    if (!parsed.success) throw new Hs256VerifyError('claims', 'claims missing or malformed');
    // The extended schema's output, spelled out: TypeScript cannot resolve it for a generic Claims.
    const claims = parsed.data as z.output<typeof registeredClaims> & z.output<Claims>;
    const now = Math.floor(Date.now() / 1000);
    const tolerance = options.clockToleranceS;
    if (claims.exp <= now - tolerance) throw new Hs256VerifyError('expired', 'token expired');
    if (claims.nbf !== undefined && claims.nbf > now + tolerance) throw new Hs256VerifyError('claims', 'token not yet valid');
    const audienceOk = Array.isArray(claims.aud) ? claims.aud.includes(options.audience) : claims.aud === options.audience;
    if (!audienceOk) throw new Hs256VerifyError('claims', 'wrong audience');
    if (options.issuer !== undefined && claims.iss !== options.issuer) throw new Hs256VerifyError('claims', 'wrong issuer');
    return claims;
  };
}
