import { randomBytes } from 'node:crypto';
import { XBOX_DEFAULT_ACCOUNTS, type XboxAccountSeed } from './xbox-accounts.ts';

/**
 * Microsoft accounts and the tokens of the Xbox Live chain the sandbox has issued: MSA access + rotating
 * refresh tokens (login.live.com), user tokens (user.auth), XSTS tokens (~16 h). All live random values
 * with real lifetimes; admin mutations put an account into the "expired" or "revoked" state.
 */
export interface XboxSandboxOptions {
  /** Seed XBOX_DEFAULT_ACCOUNTS at start and on reset. Default true. */
  readonly seedDefaults?: boolean;
  readonly accounts?: readonly XboxAccountSeed[];
  readonly now?: () => number;
  readonly msaAccessTtlSeconds?: number;
  readonly userTokenTtlSeconds?: number;
  readonly xstsTtlSeconds?: number;
}

export interface XboxSandboxAccount {
  xuid: string;
  gamertag: string;
  userHash: string;
  ageGroup: 'Adult' | 'Teen' | 'Child';
  xstsError: number | undefined;
  gamerscore: number;
  displayPicRaw: string;
  realName: string;
  bio: string;
  /** The seeded refresh token (never rotates away). */
  seedRefreshToken: string;
}

export interface IssuedXboxToken {
  token: string;
  issuedAt: number;
  notAfter: number;
}

export type XboxTokenKind = 'msa' | 'user' | 'xsts' | 'all';

export interface XboxSandboxState {
  reset(): void;
  listAccounts(): XboxSandboxAccount[];
  addAccount(seed: XboxAccountSeed): XboxSandboxAccount;
  accountByXuid(xuid: string): XboxSandboxAccount | undefined;
  /** login.live.com refresh grant: a new access token and a ROTATED refresh token; undefined = invalid_grant. */
  refreshMsa(refreshToken: string): { account: XboxSandboxAccount; accessToken: string; refreshToken: string; expiresIn: number } | undefined;
  /** user.auth: an RPS ticket's MSA access token → a user token. */
  issueUserToken(msaAccessToken: string): { account: XboxSandboxAccount; token: IssuedXboxToken } | undefined;
  /** xsts: the account behind a live user token (its `xstsError`, if any, is the route's business). */
  accountForUserToken(userToken: string): XboxSandboxAccount | undefined;
  issueXsts(xuid: string): IssuedXboxToken;
  /** The account a live `XBL3.0 x=<uhs>;<xsts>` authorization belongs to. */
  accountForXsts(userHash: string, xstsToken: string): XboxSandboxAccount | undefined;
  /** Admin: the account's issued tokens expire now. Returns how many. */
  expireTokens(xuid: string, kind?: XboxTokenKind): number;
  /** Admin: every refresh token of the account (the seeded one too) answers invalid_grant. */
  revokeRefreshTokens(xuid: string): boolean;
}

const random = (bytes = 32) => randomBytes(bytes).toString('base64url');

function toAccount(seed: XboxAccountSeed): XboxSandboxAccount {
  return {
    xuid: seed.xuid,
    gamertag: seed.gamertag,
    userHash: seed.userHash,
    ageGroup: seed.ageGroup ?? 'Adult',
    xstsError: seed.xstsError,
    gamerscore: seed.gamerscore ?? 0,
    displayPicRaw: seed.displayPicRaw ?? '',
    realName: seed.realName ?? '',
    bio: seed.bio ?? '',
    seedRefreshToken: seed.refreshToken,
  };
}

export function createXboxSandboxState(options: XboxSandboxOptions = {}): XboxSandboxState {
  const now = options.now ?? Date.now;
  const msaTtlS = options.msaAccessTtlSeconds ?? 3600;
  const userTtlS = options.userTokenTtlSeconds ?? 14 * 24 * 3600;
  const xstsTtlS = options.xstsTtlSeconds ?? 16 * 3600;
  const seeds = options.accounts ?? (options.seedDefaults === false ? [] : XBOX_DEFAULT_ACCOUNTS);

  const accounts = new Map<string, XboxSandboxAccount>();
  /** refresh token → xuid (seeded and rotated ones). */
  const refreshTokens = new Map<string, string>();
  const msaTokens = new Map<string, { xuid: string; expiresAt: number }>();
  const userTokens = new Map<string, { xuid: string; expiresAt: number }>();
  const xstsTokens = new Map<string, { xuid: string; expiresAt: number }>();

  const issue = (map: Map<string, { xuid: string; expiresAt: number }>, xuid: string, ttlS: number): IssuedXboxToken => {
    const token = random();
    const issuedAt = now();
    const notAfter = issuedAt + ttlS * 1000;
    map.set(token, { xuid, expiresAt: notAfter });
    return { token, issuedAt, notAfter };
  };
  const live = (map: Map<string, { xuid: string; expiresAt: number }>, token: string) => {
    const entry = map.get(token);
    return entry && entry.expiresAt > now() ? accounts.get(entry.xuid) : undefined;
  };

  const state: XboxSandboxState = {
    reset() {
      accounts.clear();
      refreshTokens.clear();
      msaTokens.clear();
      userTokens.clear();
      xstsTokens.clear();
      for (const seed of seeds) state.addAccount(seed);
    },
    listAccounts: () => [...accounts.values()].map((a) => ({ ...a })),
    addAccount(seed) {
      const account = toAccount(seed);
      accounts.set(account.xuid, account);
      refreshTokens.set(seed.refreshToken, account.xuid);
      return { ...account };
    },
    accountByXuid: (xuid) => accounts.get(xuid),
    refreshMsa(refreshToken) {
      const xuid = refreshTokens.get(refreshToken);
      const account = xuid === undefined ? undefined : accounts.get(xuid);
      if (!account) return undefined;
      const rotated = `M.C5${random(48)}`;
      refreshTokens.set(rotated, account.xuid);
      const accessToken = issue(msaTokens, account.xuid, msaTtlS).token;
      return { account, accessToken, refreshToken: rotated, expiresIn: msaTtlS };
    },
    issueUserToken(msaAccessToken) {
      const account = live(msaTokens, msaAccessToken);
      if (!account) return undefined;
      return { account, token: issue(userTokens, account.xuid, userTtlS) };
    },
    accountForUserToken: (userToken) => live(userTokens, userToken),
    issueXsts: (xuid) => issue(xstsTokens, xuid, xstsTtlS),
    accountForXsts(userHash, xstsToken) {
      const account = live(xstsTokens, xstsToken);
      return account && account.userHash === userHash ? account : undefined;
    },
    expireTokens(xuid, kind = 'all') {
      const past = now() - 1;
      let n = 0;
      const maps = { msa: [msaTokens], user: [userTokens], xsts: [xstsTokens], all: [msaTokens, userTokens, xstsTokens] }[kind];
      for (const map of maps) {
        for (const entry of map.values()) {
          if (entry.xuid !== xuid) continue;
          entry.expiresAt = past;
          n++;
        }
      }
      return n;
    },
    revokeRefreshTokens(xuid) {
      let found = false;
      for (const [token, owner] of refreshTokens) {
        if (owner !== xuid) continue;
        refreshTokens.delete(token);
        found = true;
      }
      return found;
    },
  };
  state.reset();
  return state;
}
