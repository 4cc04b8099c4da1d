import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import { builtinPlatformRegistry } from '@ach/platform-registry';
import { createPlatformLinking } from '../src/linking/platform-linking.ts';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

/** Where browsers reach the API; the tests never listen there, they inject the callback's path. */
const PUBLIC_BASE_URL = 'https://api.example.test';
const CALLBACK = `${PUBLIC_BASE_URL}/accounts/steam/openid/callback`;
const STEAM_DEMO = '76561198000000001';
const STEAM_RIVAL = '76561198000000002';
const STEAM_PRIVATE = '76561198000000003';
const STEAM_GRAVIN = '76561198046174695';
const STEAM_EXTRA = '76561198000000005';
/** Never signed in by anyone in this file: what a tampered assertion claims. */
const STEAM_UNCLAIMED = '76561198000000006';

let sandbox: StartedSandbox;
let h: ApiHarness;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  sandbox.state.steam.putAccount(STEAM_EXTRA, { games: 3, personaName: 'Extra Player' });
  sandbox.state.steam.putAccount(STEAM_UNCLAIMED, { games: 3, personaName: 'Nobody Yet' });
  const url = sandbox.url;
  h = await createApiHarness({
    config: { publicBaseUrl: PUBLIC_BASE_URL },
    linking: createPlatformLinking(builtinPlatformRegistry(), {
      STEAM_API_KEY: 'sandbox-steam-key',
      STEAM_API_BASE_URL: url,
      STEAM_OPENID_BASE_URL: url,
      PSN_AUTH_BASE_URL: url,
      PSN_API_BASE_URL: url,
      XBOX_MSA_BASE_URL: url,
      XBOX_USER_AUTH_BASE_URL: url,
      XBOX_XSTS_BASE_URL: url,
      XBOX_PROFILE_BASE_URL: url,
    }),
  });
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

/** Who signs in on the sandbox's Steam login page next (through its admin API, as another process would). */
async function steamSignsIn(body: { steamId: string; cancel?: boolean; responseNonce?: string }) {
  const res = await fetch(`${sandbox.url}/__sandbox/steam/openid/sign-in`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

async function startSignIn(userId: string): Promise<URL> {
  const res = await h.app.inject({ method: 'POST', url: '/accounts/steam/openid', headers: await h.bearer(userId) });
  expect(res.statusCode, res.body).toBe(200);
  return new URL(res.json().url);
}

/** The browser at Steam: the sandbox signs in at once and redirects back with the assertion. */
async function signInAtSteam(loginUrl: URL): Promise<URL> {
  const res = await fetch(loginUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

/** The browser back at the API: the callback, without a bearer token. */
const callback = (location: URL, accept = 'text/html,application/xhtml+xml,*/*;q=0.8') =>
  h.app.inject({ method: 'GET', url: `${location.pathname}${location.search}`, headers: { accept } });

async function signIn(userId: string, steamId: string) {
  await steamSignsIn({ steamId });
  const location = await signInAtSteam(await startSignIn(userId));
  return { location, res: await callback(location) };
}

const steamRow = async (userId: string) =>
  (await sql<{ external_account_id: string; verified: boolean; needs_attention: boolean; last_error_code: string | null }>`
    select external_account_id, verified, needs_attention, last_error_code
      from platform_accounts where user_id = ${userId}::uuid and platform_id = 3`.execute(h.db)).rows[0];

const accounts = async (userId: string) =>
  (await h.app.inject({ method: 'GET', url: '/accounts', headers: await h.bearer(userId) })).json().items as {
    platform: string; externalAccountId: string; verified: boolean; needsAttention: boolean; lastErrorCode: string | null;
  }[];

describe('Steam sign-in (OpenID 2.0) proves ownership', () => {
  it('POST → Steam login page → callback links the account as verified; GET /accounts shows it', async () => {
    const user = await h.createUser();
    await steamSignsIn({ steamId: STEAM_DEMO });
    const loginUrl = await startSignIn(user);
    expect(`${loginUrl.origin}${loginUrl.pathname}`).toBe(`${sandbox.url}/openid/login`);
    expect(loginUrl.searchParams.get('openid.mode')).toBe('checkid_setup');
    expect(loginUrl.searchParams.get('openid.ns')).toBe('http://specs.openid.net/auth/2.0');
    expect(loginUrl.searchParams.get('openid.claimed_id')).toBe('http://specs.openid.net/auth/2.0/identifier_select');
    expect(loginUrl.searchParams.get('openid.realm')).toBe(PUBLIC_BASE_URL);
    const returnTo = loginUrl.searchParams.get('openid.return_to')!;
    expect(returnTo).toMatch(new RegExp(`^${CALLBACK.replace(/[.]/g, '\\.')}\\?state=[A-Za-z0-9_-]{43}$`));

    const location = await signInAtSteam(loginUrl);
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('openid.claimed_id')).toBe(`${sandbox.url}/openid/id/${STEAM_DEMO}`);

    const res = await callback(location);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('Steam account linked');
    expect(res.body).toContain('Demo Player');
    expect(await steamRow(user)).toMatchObject({ external_account_id: STEAM_DEMO, verified: true, needs_attention: false });
    expect(await accounts(user)).toEqual([expect.objectContaining({ platform: 'steam', externalAccountId: STEAM_DEMO, verified: true })]);
    expect(sandbox.state.calls.count('steam.openidCheckAuthentication')).toBe(1);
  });

  it('a replayed callback is refused: the state is one-time', async () => {
    const user = await h.createUser();
    const { location, res } = await signIn(user, STEAM_GRAVIN);
    expect(res.statusCode).toBe(200);
    const replay = await callback(location, 'application/json');
    expect(replay.statusCode).toBe(400);
    expect(replay.headers['content-type']).toContain('application/problem+json');
    expect(replay.json()).toMatchObject({ status: 400, code: 'openid_state_invalid' });
    const asBrowser = await callback(location);
    expect(asBrowser.statusCode).toBe(400);
    expect(asBrowser.headers['content-type']).toContain('text/html');
    expect(asBrowser.body).toContain('openid_state_invalid');
  });

  it('an unknown, forged or missing state is refused and links nothing; the real state still works', async () => {
    const user = await h.createUser();
    await steamSignsIn({ steamId: STEAM_PRIVATE });
    const location = await signInAtSteam(await startSignIn(user));
    for (const state of [randomBytes(32).toString('base64url'), 'x', null]) {
      const forged = new URL(location);
      if (state === null) forged.searchParams.delete('state');
      else forged.searchParams.set('state', state);
      const res = await callback(forged, 'application/problem+json');
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('openid_state_invalid');
    }
    const doubled = new URL(location);
    doubled.searchParams.append('state', location.searchParams.get('state')!);
    expect((await callback(doubled, 'application/json')).json().code).toBe('openid_state_invalid');
    expect(await steamRow(user)).toBeUndefined();

    // A private profile: ownership is proven, so it is linked (its syncs then report profile_private).
    const res = await callback(location);
    expect(res.statusCode, res.body).toBe(200);
    expect(await steamRow(user)).toMatchObject({ external_account_id: STEAM_PRIVATE, verified: true });
  });

  it('a tampered claimed_id fails check_authentication (is_valid:false): refused, nothing linked', async () => {
    const user = await h.createUser();
    await steamSignsIn({ steamId: STEAM_RIVAL });
    const location = await signInAtSteam(await startSignIn(user));
    const tampered = new URL(location);
    for (const field of ['openid.claimed_id', 'openid.identity']) tampered.searchParams.set(field, `${sandbox.url}/openid/id/${STEAM_UNCLAIMED}`);
    const checks = sandbox.state.calls.count('steam.openidCheckAuthentication');
    const res = await callback(tampered, 'application/json');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'openid_assertion_invalid', reason: 'not_confirmed' });
    expect(sandbox.state.calls.count('steam.openidCheckAuthentication')).toBe(checks + 1);
    expect(await steamRow(user)).toBeUndefined();
  });

  it('a reused response nonce is refused before asking Steam; a stale one too', async () => {
    const first = await h.createUser();
    const { location, res } = await signIn(first, STEAM_EXTRA);
    expect(res.statusCode).toBe(200);
    const usedNonce = location.searchParams.get('openid.response_nonce')!;
    expect(usedNonce).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);

    // A correctly signed assertion for a new sign-in that carries the used nonce.
    const second = await h.createUser();
    await steamSignsIn({ steamId: STEAM_RIVAL, responseNonce: usedNonce });
    const replayed = await signInAtSteam(await startSignIn(second));
    expect(replayed.searchParams.get('openid.response_nonce')).toBe(usedNonce);
    const checks = sandbox.state.calls.count('steam.openidCheckAuthentication');
    const refused = await callback(replayed, 'application/json');
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'openid_assertion_invalid', reason: 'nonce_reused' });
    expect(sandbox.state.calls.count('steam.openidCheckAuthentication')).toBe(checks);

    await steamSignsIn({ steamId: STEAM_RIVAL, responseNonce: `2020-01-01T00:00:00Z${randomBytes(8).toString('hex')}` });
    const stale = await callback(await signInAtSteam(await startSignIn(second)), 'application/json');
    expect(stale.json()).toMatchObject({ code: 'openid_assertion_invalid', reason: 'stale_nonce' });
    expect(await steamRow(second)).toBeUndefined();
  });

  it('cancelling on the Steam page links nothing', async () => {
    const user = await h.createUser();
    await steamSignsIn({ steamId: STEAM_DEMO, cancel: true });
    const location = await signInAtSteam(await startSignIn(user));
    expect(location.searchParams.get('openid.mode')).toBe('cancel');
    const res = await callback(location);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('openid_cancelled');
    expect(await steamRow(user)).toBeUndefined();
  });

  it('a verified link flags other users\' unverified links of the id (ownership_claimed, no more syncs); a second verifier and new typed links are refused', async () => {
    const steamId = '76561198000000004';
    const squatter = await h.createUser();
    const typed = await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers: await h.bearer(squatter), payload: { steamId } });
    expect(typed.statusCode).toBe(200);
    expect(typed.json()).toMatchObject({ externalAccountId: steamId, verified: false });
    const queued = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(squatter) });
    expect(queued.statusCode).toBe(202);

    const owner = await h.createUser();
    const { res } = await signIn(owner, steamId);
    expect(res.statusCode, res.body).toBe(200);

    expect(await steamRow(squatter)).toMatchObject({ verified: false, needs_attention: true, last_error_code: 'ownership_claimed' });
    expect(await accounts(squatter)).toEqual([
      expect.objectContaining({ externalAccountId: steamId, verified: false, needsAttention: true, lastErrorCode: 'ownership_claimed' }),
    ]);
    const refused = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(squatter) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('ownership_claimed');
    const ownerSync = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(owner) });
    expect(ownerSync.statusCode).toBe(202);

    // Typing the verified id in again (the squatter relinking, or anyone else) cannot make a link that could never sync.
    for (const user of [squatter, await h.createUser()]) {
      const again = await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers: await h.bearer(user), payload: { steamId } });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('ownership_claimed');
    }
    expect(await steamRow(squatter)).toMatchObject({ last_error_code: 'ownership_claimed' });

    // A second user proving the same account is refused; the owner keeps it.
    const second = await h.createUser();
    await steamSignsIn({ steamId });
    const location = await signInAtSteam(await startSignIn(second));
    const html = await callback(location);
    expect(html.statusCode).toBe(409);
    expect(html.body).toContain('ownership_claimed');
    expect(await steamRow(second)).toBeUndefined();
    expect(await steamRow(owner)).toMatchObject({ external_account_id: steamId, verified: true });

    // The owner relinking by id keeps the proof.
    const relinked = await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers: await h.bearer(owner), payload: { steamId } });
    expect(relinked.json()).toMatchObject({ externalAccountId: steamId, verified: true });
  });

  it('PSN links are verified (the tokens prove ownership): a second user linking the same PSN account gets 409 ownership_claimed', async () => {
    const first = await h.createUser();
    const linked = await h.app.inject({ method: 'PUT', url: '/accounts/psn', headers: await h.bearer(first), payload: { npsso: 'sandbox-npsso-vaulttec-co' } });
    expect(linked.statusCode, linked.body).toBe(200);
    expect(linked.json()).toMatchObject({ platform: 'psn', verified: true });
    const second = await h.createUser();
    const refused = await h.app.inject({ method: 'PUT', url: '/accounts/psn', headers: await h.bearer(second), payload: { npsso: 'sandbox-npsso-vaulttec-co' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('ownership_claimed');
  });

  it('/openapi.json documents both routes and the verified flag', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/accounts/steam/openid'].post.responses['200']).toBeTruthy();
    expect(doc.paths['/accounts/steam/openid/callback'].get.security ?? []).toEqual([]);
    expect(doc.paths['/accounts'].get.responses['200'].content['application/json'].schema.properties.items.items.required).toContain('verified');
  });

  it('POST /accounts/steam/openid needs a bearer token and a profile; the callback never answers 5xx on junk', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/accounts/steam/openid' })).statusCode).toBe(401);
    const noProfile = await h.createUser({ withProfile: false });
    // The signup trigger made one; take it away.
    await sql`delete from users where id = ${noProfile}::uuid`.execute(h.db);
    const missing = await h.app.inject({ method: 'POST', url: '/accounts/steam/openid', headers: await h.bearer(noProfile) });
    expect(missing.statusCode).toBe(409);
    expect(missing.json().code).toBe('profile_missing');

    const user = await h.createUser();
    const state = (await startSignIn(user)).searchParams.get('openid.return_to')!.split('state=')[1]!;
    const junk = await h.app.inject({ method: 'GET', url: `/accounts/steam/openid/callback?state=${state}&openid.mode=id_res&openid.claimed_id=%3Cscript%3E` });
    expect(junk.statusCode).toBe(400);
    expect(junk.body).not.toContain('<script>');
    expect(junk.body).toContain('openid_assertion_invalid');
  });
});
