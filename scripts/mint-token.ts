/**
 * `npm run token -- <email>`: a user access token for local use (curl, the dashboard's API calls, a
 * client under development). Signs HS256 with SUPABASE_JWT_SECRET the way Supabase does, for the
 * auth.users row of that e-mail in DATABASE_URL — signing the user up first when absent (the trigger
 * then creates public.users, as for a real sign-up). Prints only the token, so `$(npm run -s token -- …)`
 * works; everything else goes to stderr.
 */
import { SignJWT } from 'jose';
import { z } from 'zod';
import { databaseEnv, optionalSecretOfAtLeast, parseEnvOrExit } from '@ach/config';
import { createDb } from '@ach/db';

const TOKEN_LIFETIME = '12h';

const mintTokenEnv = databaseEnv.extend({
  SUPABASE_JWT_SECRET: optionalSecretOfAtLeast(32).pipe(z.string({ message: 'required: the HS256 secret the API verifies tokens with' })),
  JWT_AUDIENCE: z.string().min(1).default('authenticated'),
  JWT_ISSUER: z.string().min(1).optional(),
});

const email = z.email().safeParse(process.argv[2]);
if (!email.success) {
  process.stderr.write('usage: npm run token -- <email>\n');
  process.exit(64);
}
const env = parseEnvOrExit(mintTokenEnv);

const db = createDb(env.DATABASE_URL, { max: 1, applicationName: 'achievement-sync-token' });
try {
  // Sign-up as Supabase does it: a row in auth.users, only when the e-mail has none (auth.users does
  // not make e-mails unique, so ON CONFLICT would not stop a second user).
  const findUser = () => db.selectFrom('auth.users').select('id').where('email', '=', email.data).orderBy('created_at').executeTakeFirst();
  const user =
    (await findUser()) ??
    (await db.insertInto('auth.users').values({ email: email.data, email_confirmed_at: new Date() }).returning('id').executeTakeFirstOrThrow());
  let jwt = new SignJWT({ role: 'authenticated', email: email.data })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setAudience(env.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(TOKEN_LIFETIME);
  if (env.JWT_ISSUER) jwt = jwt.setIssuer(env.JWT_ISSUER);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(env.SUPABASE_JWT_SECRET))}\n`);
} finally {
  await db.destroy();
}
