import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface JwksServer {
  url: string;
  /** Signs with the RSA key the JWKS publishes. */
  signRs256: (payload: JWTPayload, options?: { expiresIn?: string | number; audience?: string }) => Promise<string>;
  /** The RSA public key as PEM: what an algorithm-confusion attacker would use as an HMAC secret. */
  publicKeyPem: string;
  close: () => Promise<void>;
}

/** A JWKS endpoint on 127.0.0.1, like Supabase's /auth/v1/.well-known/jwks.json. */
export async function startJwksServer(): Promise<JwksServer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-rsa', alg: 'RS256', use: 'sig' };
  const publicKeyPem = await exportSPKI(publicKey as CryptoKey);
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    publicKeyPem,
    signRs256: (payload, options = {}) =>
      new SignJWT({ role: 'authenticated', ...payload })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-rsa', typ: 'JWT' })
        .setAudience(options.audience ?? 'authenticated')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
