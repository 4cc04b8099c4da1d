import { randomBytes } from 'node:crypto';
import { PSN_DEFAULT_ACCOUNTS, type PsnAccountSeed } from './psn-accounts.ts';
import { createPsnTrophyState, type PsnTrophyState } from './psn-trophy-state.ts';

/**
 * PSN accounts and the OAuth sessions the sandbox has issued for them. Tokens are live random values with
 * real lifetimes (access 3599 s, refresh 5183999 s — not extended by refreshing, as on PSN), so a client
 * that forgets to refresh, or keeps using a dead refresh token, fails here the way it would in production.
 */
export interface PsnSandboxOptions {
  /** Seed the default accounts (PSN_DEFAULT_ACCOUNTS) at start and on reset. Default true. */
  readonly seedDefaults?: boolean;
  readonly accounts?: readonly PsnAccountSeed[];
  readonly now?: () => number;
  readonly accessTokenTtlSeconds?: number;
  readonly refreshTokenTtlSeconds?: number;
}

export interface PsnSandboxAccount {
  npsso: string;
  accountId: string;
  onlineId: string;
  aboutMe: string;
  isPlus: boolean;
  isPrivate: boolean;
  /** A revoked NPSSO answers like an expired one (302 with error=login_required). */
  npssoRevoked: boolean;
  trophyLevel: number;
  progress: number;
  earnedTrophies: { bronze: number; silver: number; gold: number; platinum: number };
}

export interface PsnIssuedTokens {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  expiresIn: number;
  refreshExpiresIn: number;
}

export type PsnTokenKind = 'access' | 'refresh' | 'all';

export interface PsnSandboxState {
  /** Milliseconds, the sandbox's PSN clock (token lifetimes, request windows, earn times). */
  now(): number;
  /** Libraries, the trophy catalogue and the trophy-side controls (see psn-trophy-state.ts). */
  readonly trophies: PsnTrophyState;
  reset(): void;
  listAccounts(): PsnSandboxAccount[];
  addAccount(seed: PsnAccountSeed): PsnSandboxAccount;
  accountById(accountId: string): PsnSandboxAccount | undefined;
  /** Only a live (not revoked) NPSSO. */
  accountByNpsso(npsso: string): PsnSandboxAccount | undefined;
  /** One-time authorization code (lives 5 minutes), as the authorize redirect carries it. */
  issueAuthorizationCode(accountId: string): string;
  redeemAuthorizationCode(code: string): PsnSandboxAccount | undefined;
  /** A new session for the account (the code grant). */
  issueTokens(accountId: string): PsnIssuedTokens;
  /** New access (and refresh) token; the session's refresh expiry stays where the code grant put it. */
  refresh(refreshToken: string): { account: PsnSandboxAccount; tokens: PsnIssuedTokens } | undefined;
  /** The account a live access token belongs to. */
  accountForAccessToken(accessToken: string): PsnSandboxAccount | undefined;
  /** Makes the account's issued tokens expire now (admin: the "expired token" state). Returns how many. */
  expireTokens(accountId: string, kind?: PsnTokenKind): number;
  /** The NPSSO stops working (as after ~2 months or a sign-out everywhere). */
  revokeNpsso(accountId: string): boolean;
  setPrivate(accountId: string, isPrivate: boolean): boolean;
  /** Every code and token issued since the last reset, expired or not (secret scans look for them). */
  issuedSecrets(): string[];
}

interface Session {
  accountId: string;
  refreshExpiresAt: number;
}

const CODE_TTL_MS = 5 * 60_000;
const token = (bytes = 32) => randomBytes(bytes).toString('base64url');

function toAccount(seed: PsnAccountSeed): PsnSandboxAccount {
  return {
    npsso: seed.npsso,
    accountId: seed.accountId,
    onlineId: seed.onlineId,
    aboutMe: seed.aboutMe ?? '',
    isPlus: seed.isPlus ?? false,
    isPrivate: seed.isPrivate ?? false,
    npssoRevoked: false,
    trophyLevel: seed.trophyLevel ?? 1,
    progress: seed.progress ?? 0,
    earnedTrophies: { ...(seed.earnedTrophies ?? { bronze: 0, silver: 0, gold: 0, platinum: 0 }) },
  };
}

export function createPsnSandboxState(options: PsnSandboxOptions = {}): PsnSandboxState {
  const now = options.now ?? Date.now;
  const accessTtlS = options.accessTokenTtlSeconds ?? 3599;
  const refreshTtlS = options.refreshTokenTtlSeconds ?? 5183999;
  const seeds = options.accounts ?? (options.seedDefaults === false ? [] : PSN_DEFAULT_ACCOUNTS);

  const trophies = createPsnTrophyState({ now });
  const accounts = new Map<string, PsnSandboxAccount>();
  const codes = new Map<string, { accountId: string; expiresAt: number }>();
  const accessTokens = new Map<string, { session: Session; expiresAt: number }>();
  const refreshTokens = new Map<string, Session>();
  const issued: string[] = [];

  function issueFor(session: Session): PsnIssuedTokens {
    const accessToken = token();
    const refreshToken = token();
    const idToken = token(24);
    accessTokens.set(accessToken, { session, expiresAt: now() + accessTtlS * 1000 });
    refreshTokens.set(refreshToken, session);
    issued.push(accessToken, refreshToken, idToken);
    return {
      accessToken,
      refreshToken,
      idToken,
      expiresIn: accessTtlS,
      // Counts down from the code grant: refreshing never extends the session.
      refreshExpiresIn: Math.max(0, Math.floor((session.refreshExpiresAt - now()) / 1000)),
    };
  }

  const state: PsnSandboxState = {
    now,
    trophies,
    reset() {
      accounts.clear();
      codes.clear();
      accessTokens.clear();
      refreshTokens.clear();
      issued.length = 0;
      trophies.reset();
      for (const seed of seeds) {
        accounts.set(seed.accountId, toAccount(seed));
        trophies.putLibrary(seed.accountId, seed.library);
      }
    },
    listAccounts: () => [...accounts.values()].map((a) => ({ ...a, earnedTrophies: { ...a.earnedTrophies } })),
    addAccount(seed) {
      const account = toAccount(seed);
      accounts.set(account.accountId, account);
      trophies.putLibrary(account.accountId, seed.library);
      return { ...account };
    },
    accountById: (accountId) => accounts.get(accountId),
    accountByNpsso(npsso) {
      for (const account of accounts.values()) if (account.npsso === npsso && !account.npssoRevoked) return account;
      return undefined;
    },
    issueAuthorizationCode(accountId) {
      const code = `v3.${token(6).replace(/[-_]/g, 'x')}`;
      codes.set(code, { accountId, expiresAt: now() + CODE_TTL_MS });
      issued.push(code);
      return code;
    },
    redeemAuthorizationCode(code) {
      const entry = codes.get(code);
      codes.delete(code);
      if (!entry || entry.expiresAt <= now()) return undefined;
      return accounts.get(entry.accountId);
    },
    issueTokens(accountId) {
      return issueFor({ accountId, refreshExpiresAt: now() + refreshTtlS * 1000 });
    },
    refresh(refreshToken) {
      const session = refreshTokens.get(refreshToken);
      if (!session || session.refreshExpiresAt <= now()) return undefined;
      const account = accounts.get(session.accountId);
      if (!account) return undefined;
      return { account, tokens: issueFor(session) };
    },
    accountForAccessToken(accessToken) {
      const entry = accessTokens.get(accessToken);
      if (!entry || entry.expiresAt <= now()) return undefined;
      return accounts.get(entry.session.accountId);
    },
    expireTokens(accountId, kind = 'all') {
      const past = now() - 1;
      let n = 0;
      if (kind !== 'refresh') {
        for (const entry of accessTokens.values()) {
          if (entry.session.accountId !== accountId) continue;
          entry.expiresAt = past;
          n++;
        }
      }
      if (kind !== 'access') {
        // Sessions are shared objects: expiring one expires every refresh token of that sign-in.
        for (const session of new Set(refreshTokens.values())) {
          if (session.accountId !== accountId) continue;
          session.refreshExpiresAt = past;
          n++;
        }
      }
      return n;
    },
    revokeNpsso(accountId) {
      const account = accounts.get(accountId);
      if (!account) return false;
      account.npssoRevoked = true;
      return true;
    },
    setPrivate(accountId, isPrivate) {
      const account = accounts.get(accountId);
      if (!account) return false;
      account.isPrivate = isPrivate;
      return true;
    },
    issuedSecrets: () => [...issued],
  };
  state.reset();
  return state;
}
