import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

const SECRET = 'webhook-secret-value-of-32-characters';
let h: ApiHarness;
let noWebhook: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness({ config: { authWebhookSecret: SECRET } });
  noWebhook = await createApiHarness({ database: h.database });
});
afterAll(async () => {
  await noWebhook.close();
  await h.close();
});

const profile = async (id: string) =>
  (await sql<{ id: string; email: string | null; email_verified: boolean; username: string; display_name: string | null }>`
    select id, email, email_verified, username, display_name from public.users where id = ${id}::uuid`.execute(h.db)).rows;

describe('POST /users/sync', () => {
  it('creates the missing public.users row from auth.users, then reports it exists', async () => {
    const id = await h.createUser({ email: 'ghost@example.test', withProfile: false });
    await sql`delete from public.users where id = ${id}::uuid`.execute(h.db); // a signup trigger may have run
    const res = await h.app.inject({ method: 'POST', url: '/users/sync', headers: await h.bearer(id) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: true, user: { id, email: 'ghost@example.test', emailVerified: true } });
    expect(res.json().user.username).toMatch(/^[a-z0-9_]{3,30}$/);
    const again = await h.app.inject({ method: 'POST', url: '/users/sync', headers: await h.bearer(id) });
    expect(again.json().created).toBe(false);
    expect(await profile(id)).toHaveLength(1);
  });

  it('404 auth_user_not_found when auth.users has no row for the token\'s subject', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/users/sync', headers: await h.bearer(randomUUID()) });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('auth_user_not_found');
  });

  it('refuses a body that is not JSON-shaped nothing (400) only when malformed', async () => {
    const id = await h.createUser();
    const res = await h.app.inject({ method: 'POST', url: '/users/sync', headers: { ...(await h.bearer(id)), 'content-type': 'application/json' }, payload: '{"oops"' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_json');
  });
});

describe('POST /webhooks/auth-users', () => {
  const payload = (type: string, id: string) => ({ type, table: 'users', schema: 'auth', record: { id, email: 'x@example.test' }, old_record: null });

  it('INSERT ensures the profile, idempotently; UPDATE refreshes auth-owned fields', async () => {
    const id = await h.createUser({ withProfile: false });
    await sql`delete from public.users where id = ${id}::uuid`.execute(h.db);
    const first = await h.app.inject({ method: 'POST', url: '/webhooks/auth-users', headers: { 'x-webhook-secret': SECRET }, payload: payload('INSERT', id) });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ action: 'created', userId: id });
    const second = await h.app.inject({ method: 'POST', url: '/webhooks/auth-users', headers: { authorization: `Bearer ${SECRET}` }, payload: payload('INSERT', id) });
    expect(second.json()).toEqual({ action: 'exists', userId: id });
    expect(await profile(id)).toHaveLength(1);

    await sql`update auth.users set email = 'new@example.test', email_confirmed_at = null where id = ${id}::uuid`.execute(h.db);
    const update = await h.app.inject({ method: 'POST', url: '/webhooks/auth-users', headers: { 'x-webhook-secret': SECRET }, payload: payload('UPDATE', id) });
    expect(update.json().action).toBe('updated');
    expect((await profile(id))[0]).toMatchObject({ email: 'new@example.test', email_verified: false });
  });

  it('401 with a wrong or missing secret, 400 naming the field for a bad payload', async () => {
    const id = await h.createUser();
    expect((await h.app.inject({ method: 'POST', url: '/webhooks/auth-users', payload: payload('INSERT', id) })).statusCode).toBe(401);
    const wrong = await h.app.inject({ method: 'POST', url: '/webhooks/auth-users', headers: { 'x-webhook-secret': 'nope' }, payload: payload('INSERT', id) });
    expect(wrong.statusCode).toBe(401);
    const bad = await h.app.inject({ method: 'POST', url: '/webhooks/auth-users', headers: { 'x-webhook-secret': SECRET }, payload: { ...payload('INSERT', id), table: 'profiles' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('body.table');
  });

  it('404 for an id auth.users does not have', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/auth-users', headers: { 'x-webhook-secret': SECRET }, payload: payload('INSERT', randomUUID()) });
    expect(res.statusCode).toBe(404);
  });

  it('does not exist (404) when AUTH_WEBHOOK_SECRET is unset', async () => {
    const res = await noWebhook.app.inject({ method: 'POST', url: '/webhooks/auth-users', headers: { 'x-webhook-secret': SECRET }, payload: payload('INSERT', randomUUID()) });
    expect(res.statusCode).toBe(404);
  });
});
