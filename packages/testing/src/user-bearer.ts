import { SignJWT } from 'jose';

/**
 * `Authorization` headers for a signed-in app user, as Supabase mints them (HS256, role
 * `authenticated`, audience `authenticated`, one hour): what the end-to-end tests send to the API.
 */
export async function userBearer(userId: string, jwtSecret: string): Promise<{ authorization: string }> {
  const token = await new SignJWT({ role: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setAudience('authenticated')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(jwtSecret));
  return { authorization: `Bearer ${token}` };
}
