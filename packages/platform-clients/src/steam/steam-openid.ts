import { z } from 'zod';
import { createPlatformHttp, type PlatformHttpOptions } from '../http/platform-http.ts';
import { parseRetryAfter } from '../http/retry-after.ts';
import { PlatformError } from '../platform-error.ts';
import { isSteamId64 } from './steam-id.ts';

/**
 * Steam sign-in (OpenID 2.0, the only way Steam lets a site prove a user owns a SteamID). Stateless
 * ("dumb") mode, as Steam runs it: the browser goes to `<base>/openid/login` (checkid_setup,
 * identifier_select), comes back to our return URL with a signed positive assertion, and we ask
 * Steam whether it issued that assertion by POSTing the same fields back with
 * `openid.mode=check_authentication`; Steam answers in key-value form (`ns:…\nis_valid:true\n`).
 *
 * Steam's signature cannot be checked locally (no association), so everything else is: namespace,
 * mode, op_endpoint, claimed_id = identity on the provider's host with a SteamID64, return_to
 * exactly as we sent it, the signed field list, and a fresh response nonce. The caller must also
 * make sure the nonce is used once (it needs shared storage; see `nonce` on the assertion).
 */

export const OPENID2_NS = 'http://specs.openid.net/auth/2.0';
const IDENTIFIER_SELECT = 'http://specs.openid.net/auth/2.0/identifier_select';
/** Fields OpenID 2.0 (§10.1) requires under the signature when present; Steam signs exactly these. */
const REQUIRED_SIGNED = ['op_endpoint', 'claimed_id', 'identity', 'return_to', 'response_nonce', 'assoc_handle'] as const;

export const STEAM_OPENID_ENDPOINTS = { checkAuthentication: 'steam.openid.checkAuthentication' } as const;

/** Why an assertion was not accepted. */
export type SteamOpenIdRejectReason =
  /** The user pressed cancel on Steam's page (`openid.mode=cancel`). */
  | 'cancelled'
  /** Missing / duplicated / malformed fields, or a mode other than id_res. */
  | 'malformed'
  /** op_endpoint or claimed_id do not name the configured provider, or no SteamID64. */
  | 'wrong_provider'
  /** openid.return_to is not the return URL of this sign-in. */
  | 'return_to_mismatch'
  /** The response nonce is too old (or from the future). */
  | 'stale_nonce'
  /** The response nonce was already used (decided by the caller's nonce store). */
  | 'nonce_reused'
  /** Steam answered check_authentication with is_valid:false: it did not issue this assertion. */
  | 'not_confirmed';

/** A refused assertion: kind `auth` (the user's proof was not accepted), code `openid_cancelled` or `openid_assertion_invalid`. */
export class SteamOpenIdRejectedError extends PlatformError {
  readonly reason: SteamOpenIdRejectReason;
  constructor(reason: SteamOpenIdRejectReason, message: string) {
    super({
      kind: 'auth',
      platform: 'steam',
      endpoint: 'steam.openid',
      code: reason === 'cancelled' ? 'openid_cancelled' : 'openid_assertion_invalid',
      message,
    });
    this.name = 'SteamOpenIdRejectedError';
    this.reason = reason;
  }
}

/** A positive assertion that passed every local check; `checkAuthentication` asks Steam about it. */
export interface SteamOpenIdAssertion {
  steamId: string;
  /** `openid.response_nonce`: unique per assertion from this provider; the caller records it. */
  responseNonce: string;
  nonceIssuedAt: Date;
  /** The `openid.*` fields check_authentication sends back (all but mode). */
  fields: Readonly<Record<string, string>>;
}

export interface SteamOpenIdClientOptions extends Omit<PlatformHttpOptions, 'platform'> {
  /** scheme://host[:port]: https://steamcommunity.com or the sandbox. */
  baseUrl: string;
  /** Oldest response nonce accepted (default 5 min). */
  maxNonceAgeMs?: number;
  /** How far a nonce may be ahead of our clock (default 60 s). */
  clockSkewMs?: number;
  now?: () => number;
}

export interface SteamOpenIdClient {
  /** `<base>/openid/login`: where the browser goes, what `openid.op_endpoint` must say, where we POST. */
  readonly opEndpoint: string;
  /** The sign-in page URL (checkid_setup, identifier_select). */
  loginUrl(input: { returnTo: string; realm: string }): string;
  /** Local checks of the callback's query; throws SteamOpenIdRejectedError. No network. */
  parseAssertion(query: unknown, expected: { returnTo: string }): SteamOpenIdAssertion;
  /** Asks Steam whether it issued the assertion; throws SteamOpenIdRejectedError (`not_confirmed`) or PlatformError. */
  checkAuthentication(assertion: SteamOpenIdAssertion): Promise<void>;
}

const value = z.string().min(1).max(2_048);
const signedList = z
  .string()
  .max(512)
  .transform((list) => list.split(','))
  .pipe(z.array(z.string().regex(/^[a-z0-9_.]{1,64}$/)).max(32));

/** The assertion's own fields; every field named in `openid.signed` must be present too (checked below). */
const assertionSchema = z.looseObject({
  'openid.ns': z.literal(OPENID2_NS),
  'openid.mode': z.literal('id_res'),
  'openid.op_endpoint': value,
  'openid.claimed_id': value,
  'openid.identity': value,
  'openid.return_to': value,
  'openid.response_nonce': value,
  'openid.assoc_handle': value,
  'openid.signed': signedList,
  'openid.sig': value,
});

/** OpenID 2.0 §10.1: UTC timestamp to the second, then up to 255 printable ASCII characters. */
const NONCE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)[\x21-\x7e]{0,255}$/;

/** Key-value form (§4.1.1): `key:value\n` lines; a key has no colon, neither has a newline. */
export function parseKeyValueForm(body: string): Record<string, string> | undefined {
  const pairs: Record<string, string> = {};
  const lines = body.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    pairs[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return pairs;
}

const checkAuthenticationAnswer = z.looseObject({
  ns: z.literal(OPENID2_NS),
  is_valid: z.enum(['true', 'false']),
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createSteamOpenIdClient(options: SteamOpenIdClientOptions): SteamOpenIdClient {
  const { baseUrl: rawBaseUrl, maxNonceAgeMs = 5 * 60_000, clockSkewMs = 60_000, now = Date.now, ...httpOptions } = options;
  const baseUrl = rawBaseUrl.replace(/\/+$/, '');
  const opEndpoint = `${baseUrl}/openid/login`;
  const claimedIdPattern = new RegExp(`^${escapeRegExp(baseUrl)}/openid/id/(\\d{17})/?$`);
  const http = createPlatformHttp({ ...httpOptions, platform: 'steam' });
  const endpoint = STEAM_OPENID_ENDPOINTS.checkAuthentication;

  const reject = (reason: SteamOpenIdRejectReason, message: string) => new SteamOpenIdRejectedError(reason, message);

  return {
    opEndpoint,

    loginUrl({ returnTo, realm }) {
      const params = new URLSearchParams({
        'openid.ns': OPENID2_NS,
        'openid.mode': 'checkid_setup',
        'openid.return_to': returnTo,
        'openid.realm': realm,
        'openid.identity': IDENTIFIER_SELECT,
        'openid.claimed_id': IDENTIFIER_SELECT,
      });
      return `${opEndpoint}?${params}`;
    },

    parseAssertion(query, expected) {
      const mode = (query as Record<string, unknown> | null)?.['openid.mode'];
      if (mode === 'cancel') throw reject('cancelled', 'the user cancelled the Steam sign-in');
      const parsed = assertionSchema.safeParse(query);
      if (!parsed.success) throw reject('malformed', `not an OpenID 2.0 positive assertion: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 300)}`);
      const a = parsed.data;
      const raw = query as Record<string, unknown>;

      const signed = a['openid.signed'];
      const missing = REQUIRED_SIGNED.filter((field) => !signed.includes(field));
      if (missing.length > 0) throw reject('malformed', `openid.signed lacks ${missing.join(', ')}`);
      const fields: Record<string, string> = {
        'openid.ns': a['openid.ns'],
        'openid.signed': signed.join(','),
        'openid.sig': a['openid.sig'],
      };
      for (const name of signed) {
        const key = `openid.${name}`;
        const field = raw[key];
        if (typeof field !== 'string' || field.length > 2_048) throw reject('malformed', `signed field ${key} is missing or not a single value`);
        fields[key] = field;
      }

      if (a['openid.op_endpoint'] !== opEndpoint) throw reject('wrong_provider', 'openid.op_endpoint is not the configured provider');
      const claimed = claimedIdPattern.exec(a['openid.claimed_id']);
      if (!claimed || a['openid.identity'] !== a['openid.claimed_id'] || !isSteamId64(claimed[1]!)) {
        throw reject('wrong_provider', 'openid.claimed_id is not a SteamID64 on the configured provider (or differs from openid.identity)');
      }
      if (a['openid.return_to'] !== expected.returnTo) throw reject('return_to_mismatch', 'openid.return_to is not the return URL of this sign-in');

      const nonce = NONCE.exec(a['openid.response_nonce']);
      const issuedAt = nonce ? Date.parse(nonce[1]!) : Number.NaN;
      if (Number.isNaN(issuedAt)) throw reject('malformed', 'openid.response_nonce does not start with a UTC timestamp');
      const age = now() - issuedAt;
      if (age > maxNonceAgeMs || age < -clockSkewMs) throw reject('stale_nonce', `openid.response_nonce is ${Math.round(age / 1000)} s old`);

      return { steamId: claimed[1]!, responseNonce: a['openid.response_nonce'], nonceIssuedAt: new Date(issuedAt), fields };
    },

    async checkAuthentication(assertion) {
      const body = new URLSearchParams({ ...assertion.fields, 'openid.mode': 'check_authentication' });
      const res = await http.raw({ endpoint, url: opEndpoint, method: 'POST', body, redirect: 'manual' });
      if (res.status !== 200) {
        // Steam throttles this endpoint with 429, and sometimes with 403.
        if (res.status === 429 || res.status === 403) {
          throw new PlatformError({
            kind: 'rate_limited',
            platform: 'steam',
            endpoint,
            status: res.status,
            retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), 60_000),
            message: `${endpoint} answered ${res.status}`,
          });
        }
        throw new PlatformError({ kind: res.status >= 500 ? 'transient' : 'malformed', platform: 'steam', endpoint, status: res.status, message: `${endpoint} answered ${res.status}` });
      }
      const answer = checkAuthenticationAnswer.safeParse(parseKeyValueForm(res.body) ?? {});
      if (!answer.success) {
        throw new PlatformError({ kind: 'malformed', platform: 'steam', endpoint, status: 200, message: `${endpoint} answered something that is not an OpenID 2.0 verification` });
      }
      if (answer.data.is_valid !== 'true') throw reject('not_confirmed', 'Steam did not confirm the assertion (is_valid:false)');
    },
  };
}
