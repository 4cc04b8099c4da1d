import { describe, expect, it } from 'vitest';
import { createSteamOpenIdClient, isPlatformError, parseKeyValueForm, SteamOpenIdRejectedError, type SteamOpenIdClient } from '../src/index.ts';

const BASE = 'https://steamcommunity.com';
const RETURN_TO = 'https://api.example.test/accounts/steam/openid/callback?state=abc';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const STEAM_ID = '76561197972494985';

/** A positive assertion as Steam sends it (field set and signed list as recorded by OpenID libraries). */
function assertion(overrides: Record<string, string | string[] | undefined> = {}): Record<string, unknown> {
  const base: Record<string, string | string[] | undefined> = {
    state: 'abc',
    'openid.ns': 'http://specs.openid.net/auth/2.0',
    'openid.mode': 'id_res',
    'openid.op_endpoint': `${BASE}/openid/login`,
    'openid.claimed_id': `${BASE}/openid/id/${STEAM_ID}`,
    'openid.identity': `${BASE}/openid/id/${STEAM_ID}`,
    'openid.return_to': RETURN_TO,
    'openid.response_nonce': '2026-03-01T11:59:30ZcJ1pHdL3+0Xy8m2IzH6aVvAnQhE=',
    'openid.assoc_handle': '1234567890',
    'openid.signed': 'signed,op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle',
    'openid.sig': 'W0u5DRbtHE1GG0ZKXjerUZDUGmc=',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined));
}

function client(answer?: (body: URLSearchParams) => Response): { openid: SteamOpenIdClient; posted: URLSearchParams[] } {
  const posted: URLSearchParams[] = [];
  const openid = createSteamOpenIdClient({
    baseUrl: BASE,
    now: () => NOW,
    fetch: async (_url, init) => {
      const body = new URLSearchParams(String(init?.body));
      posted.push(body);
      return answer ? answer(body) : new Response('ns:http://specs.openid.net/auth/2.0\nis_valid:true\n');
    },
  });
  return { openid, posted };
}

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof SteamOpenIdRejectedError ? error.reason : `not rejected: ${String(error)}`;
  }
  return 'accepted';
};

describe('Steam OpenID client', () => {
  it('builds the checkid_setup URL with identifier_select', () => {
    const url = new URL(client().openid.loginUrl({ returnTo: RETURN_TO, realm: 'https://api.example.test' }));
    expect(`${url.origin}${url.pathname}`).toBe(`${BASE}/openid/login`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      'openid.ns': 'http://specs.openid.net/auth/2.0',
      'openid.mode': 'checkid_setup',
      'openid.return_to': RETURN_TO,
      'openid.realm': 'https://api.example.test',
      'openid.identity': 'http://specs.openid.net/auth/2.0/identifier_select',
      'openid.claimed_id': 'http://specs.openid.net/auth/2.0/identifier_select',
    });
  });

  it('accepts a well-formed assertion and sends exactly its signed fields back with mode check_authentication', async () => {
    const { openid, posted } = client();
    const parsed = openid.parseAssertion(assertion(), { returnTo: RETURN_TO });
    expect(parsed).toMatchObject({ steamId: STEAM_ID, nonceIssuedAt: new Date('2026-03-01T11:59:30Z') });
    await openid.checkAuthentication(parsed);
    const openidFields = Object.entries(assertion()).filter(([name]) => name.startsWith('openid.'));
    expect(Object.fromEntries(posted[0]!)).toEqual({ ...Object.fromEntries(openidFields), 'openid.mode': 'check_authentication' });
  });

  it('refuses, before any network call, whatever Steam would not have sent to this sign-in', () => {
    const { openid, posted } = client();
    const cases: [Record<string, string | string[] | undefined>, string][] = [
      [{ 'openid.mode': 'cancel' }, 'cancelled'],
      [{ 'openid.mode': 'checkid_setup' }, 'malformed'],
      [{ 'openid.ns': 'http://openid.net/signon/1.1' }, 'malformed'],
      [{ 'openid.sig': undefined }, 'malformed'],
      [{ 'openid.claimed_id': [`${BASE}/openid/id/${STEAM_ID}`, `${BASE}/openid/id/76561197960265729`] }, 'malformed'],
      [{ 'openid.signed': 'signed,op_endpoint,claimed_id,identity,return_to,assoc_handle' }, 'malformed'],
      [{ 'openid.op_endpoint': 'https://evil.example/openid/login' }, 'wrong_provider'],
      [{ 'openid.claimed_id': `https://steamcommunity.com.evil.example/openid/id/${STEAM_ID}`, 'openid.identity': `https://steamcommunity.com.evil.example/openid/id/${STEAM_ID}` }, 'wrong_provider'],
      [{ 'openid.claimed_id': `${BASE}/openid/id/76561197960265729` }, 'wrong_provider'],
      [{ 'openid.claimed_id': `${BASE}/openid/id/12345678901234567`, 'openid.identity': `${BASE}/openid/id/12345678901234567` }, 'wrong_provider'],
      [{ 'openid.return_to': `${RETURN_TO}x` }, 'return_to_mismatch'],
      [{ 'openid.return_to': 'https://api.example.test/accounts/steam/openid/callback?state=other' }, 'return_to_mismatch'],
      [{ 'openid.response_nonce': '2026-03-01T11:54:00Zold' }, 'stale_nonce'],
      [{ 'openid.response_nonce': '2026-03-01T12:05:00Zfuture' }, 'stale_nonce'],
      [{ 'openid.response_nonce': 'not-a-timestamp' }, 'malformed'],
    ];
    for (const [overrides, reason] of cases) {
      expect(reasonOf(() => openid.parseAssertion(assertion(overrides), { returnTo: RETURN_TO })), JSON.stringify(overrides)).toBe(reason);
    }
    expect(reasonOf(() => openid.parseAssertion(null, { returnTo: RETURN_TO }))).toBe('malformed');
    expect(posted).toHaveLength(0);
  });

  it('is_valid:false is a refusal; a non-OpenID answer is malformed; 429/5xx are rate_limited/transient', async () => {
    const answers: [() => Response, string][] = [
      [() => new Response('ns:http://specs.openid.net/auth/2.0\nis_valid:false\n'), 'rejected:not_confirmed'],
      [() => new Response('is_valid:true\n'), 'malformed'],
      [() => new Response('ns:http://specs.openid.net/auth/2.0\nis_valid:true:really\n'), 'malformed'],
      [() => new Response('<html>Sign In</html>'), 'malformed'],
      [() => new Response('', { status: 429, headers: { 'retry-after': '7' } }), 'rate_limited'],
      [() => new Response('', { status: 403 }), 'rate_limited'],
      [() => new Response('', { status: 502 }), 'transient'],
    ];
    for (const [answer, expected] of answers) {
      const { openid } = client(answer);
      const parsed = openid.parseAssertion(assertion(), { returnTo: RETURN_TO });
      const error = await openid.checkAuthentication(parsed).then(() => undefined, (e: unknown) => e);
      const got = error instanceof SteamOpenIdRejectedError ? `rejected:${error.reason}` : isPlatformError(error) ? error.kind : String(error);
      expect(got).toBe(expected);
    }
  });

  it('parses key-value form strictly', () => {
    expect(parseKeyValueForm('ns:http://specs.openid.net/auth/2.0\nis_valid:true\n')).toEqual({ ns: 'http://specs.openid.net/auth/2.0', is_valid: 'true' });
    expect(parseKeyValueForm('no colon here\n')).toBeUndefined();
    expect(parseKeyValueForm(':value\n')).toBeUndefined();
  });
});
