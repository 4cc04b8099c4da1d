import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';

/** The dashboard's session cookie (the admin API accepts it too, POSTs with the session's CSRF token). */
export const ADMIN_SESSION_COOKIE = 'ach_admin_session';
/** Short-lived on purpose: a forgotten tab on a shared screen stops working soon. */
export const ADMIN_SESSION_TTL_MS = 30 * 60_000;

export interface AdminSession {
  id: string;
  /** Who signed in (BULL_BOARD_USER): the audit trail's "performed by". */
  user: string;
  expiresAt: Date;
  /** Sent back in `x-csrf-token` (or a form's `csrf` field) on every POST of this session. */
  csrfToken: string;
}

export interface AdminSessionOptions {
  /** BULL_BOARD_USER / BULL_BOARD_PASSWORD: the key is derived from them, so changing the password ends every session. */
  user: string;
  password: string;
  ttlMs?: number;
  /** Set the cookie `Secure` (PUBLIC_BASE_URL is https). */
  secure: boolean;
  /** Where the cookie is sent: `<PUBLIC_BASE_URL path>/admin`. */
  path: string;
}

export interface AdminSessions {
  readonly ttlMs: number;
  /** A new session and the Set-Cookie header that carries it. */
  issue(now?: number): { session: AdminSession; setCookie: string };
  /** The session a Cookie header carries, when its signature holds and it has not expired. */
  fromCookieHeader(header: string | undefined, now?: number): AdminSession | undefined;
  /** Constant-time comparison with the session's CSRF token. */
  csrfMatches(session: AdminSession, presented: unknown): boolean;
  /** A Set-Cookie header that removes the session cookie. */
  clearCookie(): string;
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Stateless sessions: the cookie is `v1.<id>.<expires (unix s)>.<HMAC>` under a key derived (HKDF)
 * from the dashboard credentials, so every replica verifies it without shared storage and a new
 * password invalidates every session at once. The CSRF token is a second HMAC of the session id under
 * a separate derived key: per session, never in the cookie, unknowable to another site. The cookie is
 * HttpOnly and SameSite=Strict; POSTs still need the token (defence in depth for older browsers).
 */
export function createAdminSessions(options: AdminSessionOptions): AdminSessions {
  const ttlMs = options.ttlMs ?? ADMIN_SESSION_TTL_MS;
  const material = Buffer.from(`${options.user}\u0000${options.password}`, 'utf8');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', material, 'achievement-sync admin session v1', info, 32));
  const signingKey = derive('cookie-signature');
  const csrfKey = derive('csrf-token');
  const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('base64url');
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: options.secure, path: options.path };

  const sessionOf = (id: string, expiresS: number): AdminSession => ({
    id,
    user: options.user,
    expiresAt: new Date(expiresS * 1000),
    csrfToken: mac(csrfKey, id),
  });

  return {
    ttlMs,
    issue(now = Date.now()) {
      const id = b64url(randomBytes(16));
      const expiresS = Math.floor((now + ttlMs) / 1000);
      const payload = `v1.${id}.${expiresS}`;
      const value = `${payload}.${mac(signingKey, payload)}`;
      return {
        session: sessionOf(id, expiresS),
        setCookie: stringifySetCookie({ name: ADMIN_SESSION_COOKIE, value, ...cookieOptions, maxAge: Math.floor(ttlMs / 1000) }),
      };
    },
    fromCookieHeader(header, now = Date.now()) {
      if (!header) return undefined;
      let value: string | undefined;
      try {
        value = parseCookie(header)[ADMIN_SESSION_COOKIE];
      } catch {
        return undefined;
      }
      if (!value) return undefined;
      const parts = value.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
      const [, id, expires, signature] = parts as [string, string, string, string];
      if (!SESSION_ID.test(id) || !/^\d{1,12}$/.test(expires)) return undefined;
      if (!equalText(signature, mac(signingKey, `v1.${id}.${expires}`))) return undefined;
      const expiresS = Number(expires);
      if (expiresS * 1000 <= now) return undefined;
      return sessionOf(id, expiresS);
    },
    csrfMatches(session, presented) {
      return typeof presented === 'string' && equalText(presented, session.csrfToken);
    },
    clearCookie() {
      return stringifySetCookie({ name: ADMIN_SESSION_COOKIE, value: '', ...cookieOptions, maxAge: 0, expires: new Date(0) });
    },
  };
}
