import { isPlatformError } from '@ach/platform-clients';
import type { AdapterAccount } from '../adapter/platform-adapter.ts';

/** New credentials from a refresh, with the instants the account row keeps (`token_expires_at`, `refresh_expires_at`). */
export interface RefreshedCredentials<C> {
  credentials: C;
  tokenExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
}

export interface CredentialSessionOptions<C> {
  account: AdapterAccount;
  /** The stored credentials, already parsed by the adapter. */
  initial: C;
  /** When the access token dies (null: unknown, refreshed only on rejection). */
  accessExpiresAt(credentials: C): Date | null;
  /**
   * Asks the platform for new credentials. Throw a PlatformError of kind `auth` when the refresh token
   * is rejected or expired: the run fails with `invalid_credentials` at once, the account flagged.
   */
  refresh(credentials: C): Promise<RefreshedCredentials<C>>;
  /** Refresh when the access token has less than this left (default 5 min): never start a call with a dying token. */
  refreshBeforeMs?: number;
  /** What a rejected call looks like (default: a PlatformError of kind `auth`, i.e. a 401). */
  isRejection?: (error: unknown) => boolean;
  now?: () => number;
}

/**
 * The credentials of one job, shared by every title fetched concurrently within it. Refreshes are
 * single-flight: however many calls find the token about to expire (or rejected) at once, ONE refresh
 * goes out, its result is sealed and stored through `AdapterAccount.saveCredentials` (ciphertext plus
 * both expiry columns) before anyone uses it, and every caller gets it.
 */
export interface CredentialSession<C> {
  /** Credentials good for a call now: refreshed first (once, shared) when they expire within `refreshBeforeMs`. */
  current(): Promise<C>;
  /**
   * Runs `fn` with the current credentials. A rejection (401) refreshes once and asks again; if the
   * refreshed credentials are rejected too, that rejection is thrown (→ `invalid_credentials`). Only
   * one rejection-driven refresh per job: calls rejected with credentials already replaced just retry
   * with the new ones.
   */
  call<T>(fn: (credentials: C) => Promise<T>): Promise<T>;
  /** Refreshes done in this job (stats, tests). */
  readonly refreshes: number;
}

const defaultIsRejection = (error: unknown) => isPlatformError(error) && error.kind === 'auth';

export function createCredentialSession<C>(options: CredentialSessionOptions<C>): CredentialSession<C> {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  const isRejection = options.isRejection ?? defaultIsRejection;
  let credentials = options.initial;
  let inFlight: Promise<C> | undefined;
  let refreshes = 0;
  let refreshedAfterRejection = false;

  const refresh = (from: C): Promise<C> => {
    // Someone replaced the credentials meanwhile: theirs are the answer.
    if (from !== credentials) return Promise.resolve(credentials);
    inFlight ??= (async () => {
      try {
        const next = await options.refresh(from);
        await options.account.saveCredentials(next.credentials, { tokenExpiresAt: next.tokenExpiresAt, refreshExpiresAt: next.refreshExpiresAt });
        credentials = next.credentials;
        refreshes += 1;
        return credentials;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const expiresSoon = (c: C) => {
    const at = options.accessExpiresAt(c);
    return at !== null && at.getTime() - now() < refreshBeforeMs;
  };

  const session: CredentialSession<C> = {
    get refreshes() {
      return refreshes;
    },
    async current() {
      if (inFlight) return inFlight;
      return expiresSoon(credentials) ? refresh(credentials) : credentials;
    },
    async call(fn) {
      const used = await session.current();
      try {
        return await fn(used);
      } catch (error) {
        if (!isRejection(error)) throw error;
        if (used === credentials) {
          // Rejected with the newest credentials: one refresh per job, then the rejection stands.
          if (refreshedAfterRejection && !inFlight) throw error;
          refreshedAfterRejection = true;
        }
        const renewed = await refresh(used);
        return fn(renewed);
      }
    },
  };
  return session;
}

/**
 * One session per job: adapters are shared by every job of a worker, the `AdapterAccount` object is
 * new for each job, so it keys the session (and lets it go with the job).
 */
export function credentialSessionsPerJob<C>(create: (account: AdapterAccount) => CredentialSession<C>): (account: AdapterAccount) => CredentialSession<C> {
  const sessions = new WeakMap<AdapterAccount, CredentialSession<C>>();
  return (account) => {
    let session = sessions.get(account);
    if (!session) sessions.set(account, (session = create(account)));
    return session;
  };
}
