import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { createTokenVerifier } from '../../services/api/src/auth/token-verifier.ts';

const script = join(import.meta.dirname, '../mint-token.ts');
const secret = 's'.repeat(40);
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const mint = (email: string, env: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, [script, email], {
    env: { PATH: process.env.PATH, DATABASE_URL: database.url, SUPABASE_JWT_SECRET: secret, ...env },
    timeout: 30_000,
  });

describe('npm run token -- <email>', () => {
  it('signs up a new e-mail and prints only a token the API accepts for that user, valid 12 h', async () => {
    const { stdout } = await mint('new.player@example.com');
    const token = stdout.trim();
    expect(stdout).toBe(`${token}\n`);

    const user = await createTokenVerifier({ secret, audience: 'authenticated' })(token);
    const row = await database.db.selectFrom('auth.users').select('id').where('email', '=', 'new.player@example.com').executeTakeFirstOrThrow();
    expect(user).toMatchObject({ id: row.id, email: 'new.player@example.com', role: 'authenticated', isAdmin: false });
    // The sign-up went through the auth trigger like a real one: the profile row exists.
    expect(await database.db.selectFrom('users').select('id').where('id', '=', row.id).executeTakeFirst()).toBeDefined();

    const { exp, iat } = decodeJwt(token);
    expect(exp! - iat!).toBe(12 * 3600);
  });

  it('an existing e-mail keeps its user; JWT_AUDIENCE and JWT_ISSUER are honoured', async () => {
    await mint('again@example.com');
    const { stdout } = await mint('again@example.com', { JWT_AUDIENCE: 'my-app', JWT_ISSUER: 'https://example.supabase.co/auth/v1' });
    const users = await database.db.selectFrom('auth.users').select('id').where('email', '=', 'again@example.com').execute();
    expect(users).toHaveLength(1);
    const verified = await createTokenVerifier({ secret, audience: 'my-app', issuer: 'https://example.supabase.co/auth/v1' })(stdout.trim());
    expect(verified.id).toBe(users[0]!.id);
  });

  it('no e-mail or no secret: a usage or config error on stderr, nothing on stdout', async () => {
    const noEmail = await mint('not-an-email').catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(noEmail).toMatchObject({ code: 64, stdout: '' });
    const noSecret = await mint('x@example.com', { SUPABASE_JWT_SECRET: '' }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(noSecret).toMatchObject({ code: 78, stdout: '' });
    expect((noSecret as { stderr: string }).stderr).toContain('SUPABASE_JWT_SECRET');
  });
});
