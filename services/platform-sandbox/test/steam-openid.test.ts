import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '@ach/platform-sandbox';

const NS = 'http://specs.openid.net/auth/2.0';
const SELECT = 'http://specs.openid.net/auth/2.0/identifier_select';
const RETURN_TO = 'https://rp.example.test/accounts/steam/openid/callback?state=s1';
const REALM = 'https://rp.example.test';
/** app.inject's host: what op_endpoint and the claimed id are built from. */
const ORIGIN = 'http://localhost:80';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = createSandbox();
  await sandbox.app.ready();
});
afterAll(() => sandbox.app.close());
beforeEach(() => sandbox.state.reset());

const loginQuery = (overrides: Record<string, string> = {}) =>
  new URLSearchParams({
    'openid.ns': NS,
    'openid.mode': 'checkid_setup',
    'openid.return_to': RETURN_TO,
    'openid.realm': REALM,
    'openid.identity': SELECT,
    'openid.claimed_id': SELECT,
    ...overrides,
  });

/** The assertion the login page redirects back with (openid.* fields of the Location). */
async function signIn(): Promise<Record<string, string>> {
  const res = await sandbox.app.inject({ method: 'GET', url: `/openid/login?${loginQuery()}` });
  expect(res.statusCode).toBe(302);
  const location = new URL(res.headers.location as string);
  expect(`${location.origin}${location.pathname}`).toBe('https://rp.example.test/accounts/steam/openid/callback');
  expect(location.searchParams.get('state')).toBe('s1');
  return Object.fromEntries([...location.searchParams].filter(([name]) => name.startsWith('openid.')));
}

const checkAuthentication = async (fields: Record<string, string>) => {
  const res = await sandbox.app.inject({
    method: 'POST',
    url: '/openid/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...fields, 'openid.mode': 'check_authentication' }).toString(),
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body;
};

describe('Steam OpenID provider (sandbox)', () => {
  it('checkid_setup redirects back at once with a positive assertion in Steam\'s shape', async () => {
    const fields = await signIn();
    expect(fields).toMatchObject({
      'openid.ns': NS,
      'openid.mode': 'id_res',
      'openid.op_endpoint': `${ORIGIN}/openid/login`,
      'openid.claimed_id': `${ORIGIN}/openid/id/76561198046174695`,
      'openid.identity': `${ORIGIN}/openid/id/76561198046174695`,
      'openid.return_to': RETURN_TO,
      'openid.assoc_handle': '1234567890',
      'openid.signed': 'signed,op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle',
    });
    expect(fields['openid.response_nonce']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ[\x21-\x7e]+$/);
    expect(Buffer.from(fields['openid.sig']!, 'base64')).toHaveLength(32);
  });

  it('check_authentication: is_valid:true once for an issued assertion, false on replay or tampering', async () => {
    const fields = await signIn();
    const tampered = { ...fields, 'openid.claimed_id': `${ORIGIN}/openid/id/76561198000000001`, 'openid.identity': `${ORIGIN}/openid/id/76561198000000001` };
    expect(await checkAuthentication(tampered)).toBe(`ns:${NS}\nis_valid:false\n`);
    expect(await checkAuthentication({ ...fields, 'openid.return_to': `${RETURN_TO}2` })).toBe(`ns:${NS}\nis_valid:false\n`);
    expect(await checkAuthentication({ ...fields, 'openid.signed': 'signed,claimed_id,identity' })).toBe(`ns:${NS}\nis_valid:false\n`);
    expect(await checkAuthentication(fields)).toBe(`ns:${NS}\nis_valid:true\n`);
    expect(await checkAuthentication(fields)).toBe(`ns:${NS}\nis_valid:false\n`);
    // Never issued by this provider (e.g. after a reset): not valid.
    const other = await signIn();
    sandbox.state.reset();
    expect(await checkAuthentication(other)).toBe(`ns:${NS}\nis_valid:false\n`);
  });

  it('the admin API sets who signs in, a cancel, or a forced nonce for the next assertion only', async () => {
    const put = await sandbox.app.inject({ method: 'PUT', url: '/__sandbox/steam/openid/sign-in', payload: { steamId: '76561198000000002', responseNonce: '2026-01-01T00:00:00Zforced-nonce' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ steamId: '76561198000000002', cancel: false, responseNonce: '2026-01-01T00:00:00Zforced-nonce' });
    const first = await signIn();
    expect(first['openid.claimed_id']).toBe(`${ORIGIN}/openid/id/76561198000000002`);
    expect(first['openid.response_nonce']).toBe('2026-01-01T00:00:00Zforced-nonce');
    expect((await signIn())['openid.response_nonce']).not.toBe('2026-01-01T00:00:00Zforced-nonce');

    await sandbox.app.inject({ method: 'PUT', url: '/__sandbox/steam/openid/sign-in', payload: { steamId: '76561198000000002', cancel: true } });
    expect(await signIn()).toEqual({ 'openid.ns': NS, 'openid.mode': 'cancel' });

    const bad = await sandbox.app.inject({ method: 'PUT', url: '/__sandbox/steam/openid/sign-in', payload: { steamId: '123' } });
    expect(bad.statusCode).toBe(400);
    expect((await sandbox.app.inject({ method: 'GET', url: '/__sandbox/steam/openid/sign-in' })).json()).toMatchObject({ cancel: true });
  });

  it('refuses a malformed sign-in request with an HTML 400 page, and counts calls / honours faults', async () => {
    const bad: Record<string, string>[] = [{ 'openid.mode': 'checkid_immediate' }, { 'openid.return_to': 'javascript:alert(1)' }, { 'openid.realm': 'https://other.example.test' }, { 'openid.claimed_id': 'https://me' }];
    for (const overrides of bad) {
      const res = await sandbox.app.inject({ method: 'GET', url: `/openid/login?${loginQuery(overrides)}` });
      expect(res.statusCode, JSON.stringify(overrides)).toBe(400);
      expect(res.headers['content-type']).toContain('text/html');
    }
    expect(sandbox.state.calls.count('steam.openidLogin')).toBe(4);
    sandbox.state.faults.add({ endpoint: 'steam.openidCheckAuthentication', kind: 'rate_limited', count: 1 });
    const fields = await signIn();
    const limited = await sandbox.app.inject({ method: 'POST', url: '/openid/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ ...fields, 'openid.mode': 'check_authentication' }).toString() });
    expect(limited.statusCode).toBe(429);
    expect(await checkAuthentication(fields)).toBe(`ns:${NS}\nis_valid:true\n`);
  });
});
