import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { steamIdSchema } from './steam-state.ts';

/**
 * Steam's OpenID 2.0 provider, sandbox side: who "signs in" on the login page, the signed positive
 * assertions it hands out, and the one-time check_authentication of each. Signatures are an HMAC-SHA256
 * over the `openid.signed` fields in key-value form (OpenID 2.0 §6.1) with a key only this process
 * knows, so an assertion whose claimed_id (or any signed field) was changed fails verification.
 */

export const OPENID2_NS = 'http://specs.openid.net/auth/2.0';
export const IDENTIFIER_SELECT = 'http://specs.openid.net/auth/2.0/identifier_select';
/** What Steam signs, in Steam's order; Steam runs stateless and always sends this handle. */
export const STEAM_SIGNED_FIELDS = 'signed,op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle';
export const STEAM_ASSOC_HANDLE = '1234567890';
const REQUIRED_SIGNED = ['op_endpoint', 'claimed_id', 'identity', 'return_to', 'response_nonce', 'assoc_handle'];

/** The fixtures' "me" (gravin79) signs in unless a test says otherwise. */
export const DEFAULT_OPENID_STEAM_ID = '76561198046174695';

/** How long an issued assertion can still be verified; Steam's exact window is not documented. */
const ASSERTION_TTL_MS = 10 * 60_000;

export const steamOpenIdSignInSchema = z.strictObject({
  /** Who signs in on the login page from now on. */
  steamId: steamIdSchema,
  /** The user presses cancel: the login page returns `openid.mode=cancel`. */
  cancel: z.boolean().default(false),
  /** Used once, by the next assertion only: forces its response nonce (to test a relying party's replay check). */
  responseNonce: z.string().regex(/^[\x21-\x7e]{20,275}$/).optional(),
});
export type SteamOpenIdSignInOptions = z.input<typeof steamOpenIdSignInSchema>;

export interface SteamOpenIdSignInView {
  steamId: string;
  cancel: boolean;
  /** Set while a forced nonce is waiting for the next assertion. */
  responseNonce: string | null;
}

export interface SteamOpenIdSandboxState {
  signIn(): SteamOpenIdSignInView;
  setSignIn(options: SteamOpenIdSignInOptions): SteamOpenIdSignInView;
  /**
   * What the login page returns to `returnTo`: a signed positive assertion for the current sign-in
   * (remembered until verified once), or a cancel.
   */
  respond(input: { opEndpoint: string; identityBase: string; returnTo: string }): Record<string, string>;
  /** check_authentication: true once for an assertion this provider issued with these exact signed fields. */
  checkAuthentication(fields: Readonly<Record<string, string | undefined>>): boolean;
  reset(): void;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createSteamOpenIdSandboxState(options: { now?: () => number } = {}): SteamOpenIdSandboxState {
  const now = options.now ?? Date.now;
  const key = randomBytes(32);
  /** Issued, not yet verified assertions by signature → expiry. */
  const issued = new Map<string, number>();
  let current: SteamOpenIdSignInView = { steamId: DEFAULT_OPENID_STEAM_ID, cancel: false, responseNonce: null };

  const sign = (fields: Readonly<Record<string, string | undefined>>, signed: string[]): string | undefined => {
    let form = '';
    for (const name of signed) {
      const field = fields[`openid.${name}`];
      if (field === undefined || field.includes('\n')) return undefined;
      form += `${name}:${field}\n`;
    }
    return createHmac('sha256', key).update(form, 'utf8').digest('base64');
  };

  const prune = () => {
    const at = now();
    for (const [sig, expires] of issued) if (expires <= at) issued.delete(sig);
  };

  return {
    signIn: () => ({ ...current }),

    setSignIn(input) {
      const parsed = steamOpenIdSignInSchema.parse(input);
      current = { steamId: parsed.steamId, cancel: parsed.cancel, responseNonce: parsed.responseNonce ?? null };
      return { ...current };
    },

    respond({ opEndpoint, identityBase, returnTo }) {
      if (current.cancel) return { 'openid.ns': OPENID2_NS, 'openid.mode': 'cancel' };
      prune();
      const identity = `${identityBase}${current.steamId}`;
      const fields: Record<string, string> = {
        'openid.ns': OPENID2_NS,
        'openid.mode': 'id_res',
        'openid.op_endpoint': opEndpoint,
        'openid.claimed_id': identity,
        'openid.identity': identity,
        'openid.return_to': returnTo,
        'openid.response_nonce': current.responseNonce ?? `${isoSeconds(now())}${randomBytes(21).toString('base64')}`,
        'openid.assoc_handle': STEAM_ASSOC_HANDLE,
        'openid.signed': STEAM_SIGNED_FIELDS,
      };
      current = { ...current, responseNonce: null };
      const sig = sign(fields, STEAM_SIGNED_FIELDS.split(','))!;
      fields['openid.sig'] = sig;
      issued.set(sig, now() + ASSERTION_TTL_MS);
      return fields;
    },

    checkAuthentication(fields) {
      prune();
      if (fields['openid.ns'] !== OPENID2_NS || fields['openid.assoc_handle'] !== STEAM_ASSOC_HANDLE) return false;
      const signed = (fields['openid.signed'] ?? '').split(',');
      if (!REQUIRED_SIGNED.every((name) => signed.includes(name))) return false;
      const presented = fields['openid.sig'] ?? '';
      const expected = sign(fields, signed);
      if (!expected || !issued.has(presented)) return false;
      const a = Buffer.from(presented);
      const b = Buffer.from(expected);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
      // One verification per assertion: a replayed assertion is not valid a second time.
      issued.delete(presented);
      return true;
    },

    reset() {
      issued.clear();
      current = { steamId: DEFAULT_OPENID_STEAM_ID, cancel: false, responseNonce: null };
    },
  };
}
