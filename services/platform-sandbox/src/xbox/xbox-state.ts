import { randomBytes } from 'node:crypto';
import { SandboxStateError } from '../sandbox-state-error.ts';
import { XBOX_DEFAULT_ACCOUNTS, type XboxAccountSeed } from './xbox-accounts.ts';
import { createXboxCatalogue, type XboxTitleDefinition } from './xbox-catalogue.ts';
import { createXboxAccountLibrary, type XboxAccountLibrary, type XboxLibraryOptions, type XboxLibraryShape } from './xbox-library.ts';
import { createXboxRateLimiter, type XboxRateService, type XboxRateWindow, type XboxThrottled } from './xbox-rate-limit.ts';

/**
 * Microsoft accounts and the tokens of the Xbox Live chain the sandbox has issued: MSA access + rotating
 * refresh tokens (login.live.com), user tokens (user.auth), XSTS tokens (~16 h). All live random values
 * with real lifetimes; admin mutations put an account into the "expired" or "revoked" state.
 * Each account also has a generated library (xbox-library.ts) and the knobs the data routes obey:
 * private profile, titles that answer 404, a shrinking title history, a per-user rate limit.
 */
export interface XboxSandboxOptions {
  /** Seed XBOX_DEFAULT_ACCOUNTS at start and on reset. Default true. */
  readonly seedDefaults?: boolean;
  readonly accounts?: readonly XboxAccountSeed[];
  readonly now?: () => number;
  readonly msaAccessTtlSeconds?: number;
  readonly userTokenTtlSeconds?: number;
  readonly xstsTtlSeconds?: number;
  /** Rate-limit windows every account gets unless set per account (default none: unthrottled). */
  readonly defaultRateLimit?: readonly XboxRateWindow[];
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
  /** Achievements and titlehub answer 403 for this account's data. */
  private: boolean;
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
  /** Every token issued since the last reset (rotated refresh, MSA access, user, XSTS), expired or not: secret scans look for them. */
  issuedSecrets(): string[];

  /** The state's clock (epoch ms): token lifetimes, unlock times, rate-limit windows. */
  now(): number;
  /** A catalogue title (the same for every account), undefined for ids the catalogue never issues. */
  title(titleId: number): XboxTitleDefinition | undefined;
  library(xuid: string): XboxAccountLibrary | undefined;
  /** Admin: replaces the account's library (its changes are forgotten). */
  setLibrary(xuid: string, options: XboxLibraryOptions): XboxLibraryShape;
  /** Admin: "the user played and unlocked": the next `count` locked achievements, now. */
  earn(xuid: string, titleId: number, count: number): { titleId: number; earned: number[]; lastPlayed: number };
  setPrivate(xuid: string, isPrivate: boolean): void;
  /** Admin: achievement calls for this title answer 404 (until cleared). */
  setTitleNotFound(xuid: string, titleId: number, notFound: boolean): void;
  isTitleNotFound(xuid: string, titleId: number): boolean;
  /** Admin: the next `calls` title-history answers leave out `percent` % of the titles (the oldest). */
  shrinkTitleHistory(xuid: string, percent: number, calls: number): void;
  /** The share to drop from this title-history answer (0 = none); consumes one of the armed calls. */
  takeTitleHistoryShrink(xuid: string): number;
  /** Admin: the account's rate-limit windows; null = back to the default. */
  setRateLimit(xuid: string, windows: readonly XboxRateWindow[] | null): readonly XboxRateWindow[];
  rateLimit(xuid: string): readonly XboxRateWindow[];
  /** Counts a call of `xuid` to `service`; returns the 429 details when a window is full. */
  throttle(xuid: string, service: XboxRateService): XboxThrottled | undefined;
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
    private: false,
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
  /** The seeded ones: a rotated token works once, a seeded one until revoked (a user may paste it again). */
  const seedTokens = new Set<string>();
  const catalogue = createXboxCatalogue();
  const limiter = createXboxRateLimiter();
  const libraries = new Map<string, XboxAccountLibrary>();
  const notFoundTitles = new Map<string, Set<number>>();
  const shrinks = new Map<string, { percent: number; remaining: number }>();
  const rateLimits = new Map<string, readonly XboxRateWindow[]>();
  const defaultRateLimit = options.defaultRateLimit ?? [];

  const requireAccount = (xuid: string) => {
    const account = accounts.get(xuid);
    if (!account) throw new SandboxStateError(404, `no Xbox account ${xuid}`);
    return account;
  };
  const requireLibrary = (xuid: string) => {
    requireAccount(xuid);
    return libraries.get(xuid)!;
  };
  const msaTokens = new Map<string, { xuid: string; expiresAt: number }>();
  const userTokens = new Map<string, { xuid: string; expiresAt: number }>();
  const xstsTokens = new Map<string, { xuid: string; expiresAt: number }>();
  const issued: string[] = [];

  const issue = (map: Map<string, { xuid: string; expiresAt: number }>, xuid: string, ttlS: number): IssuedXboxToken => {
    const token = random();
    const issuedAt = now();
    const notAfter = issuedAt + ttlS * 1000;
    map.set(token, { xuid, expiresAt: notAfter });
    issued.push(token);
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
      seedTokens.clear();
      msaTokens.clear();
      userTokens.clear();
      xstsTokens.clear();
      issued.length = 0;
      libraries.clear();
      notFoundTitles.clear();
      shrinks.clear();
      rateLimits.clear();
      limiter.clear();
      for (const seed of seeds) state.addAccount(seed);
    },
    listAccounts: () => [...accounts.values()].map((a) => ({ ...a })),
    addAccount(seed) {
      const account = toAccount(seed);
      accounts.set(account.xuid, account);
      refreshTokens.set(seed.refreshToken, account.xuid);
      seedTokens.add(seed.refreshToken);
      libraries.set(account.xuid, createXboxAccountLibrary(account.xuid, seed.library ?? { titles: 0 }, catalogue));
      return { ...account };
    },
    accountByXuid: (xuid) => accounts.get(xuid),
    refreshMsa(refreshToken) {
      const xuid = refreshTokens.get(refreshToken);
      const account = xuid === undefined ? undefined : accounts.get(xuid);
      if (!account) return undefined;
      // Microsoft rotates the refresh token on every refresh: the one just used stops working.
      if (!seedTokens.has(refreshToken)) refreshTokens.delete(refreshToken);
      const rotated = `M.C5${random(48)}`;
      refreshTokens.set(rotated, account.xuid);
      issued.push(rotated);
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
        seedTokens.delete(token);
        found = true;
      }
      return found;
    },
    issuedSecrets: () => [...issued],

    now,
    title: (titleId) => catalogue.title(titleId),
    library: (xuid) => libraries.get(xuid),
    setLibrary(xuid, libraryOptions) {
      requireAccount(xuid);
      const library = createXboxAccountLibrary(xuid, libraryOptions, catalogue);
      libraries.set(xuid, library);
      notFoundTitles.delete(xuid);
      return library.shape;
    },
    earn(xuid, titleId, count) {
      const earned = requireLibrary(xuid).earn(titleId, count, now());
      if (!earned) throw new SandboxStateError(404, `Xbox account ${xuid} never played title ${titleId}`);
      return earned;
    },
    setPrivate(xuid, isPrivate) {
      requireAccount(xuid).private = isPrivate;
    },
    setTitleNotFound(xuid, titleId, notFound) {
      requireAccount(xuid);
      let titles = notFoundTitles.get(xuid);
      if (!titles) notFoundTitles.set(xuid, (titles = new Set()));
      if (notFound) titles.add(titleId);
      else titles.delete(titleId);
    },
    isTitleNotFound: (xuid, titleId) => notFoundTitles.get(xuid)?.has(titleId) === true,
    shrinkTitleHistory(xuid, percent, calls) {
      requireAccount(xuid);
      if (calls <= 0 || percent <= 0) shrinks.delete(xuid);
      else shrinks.set(xuid, { percent, remaining: calls });
    },
    takeTitleHistoryShrink(xuid) {
      const shrink = shrinks.get(xuid);
      if (!shrink) return 0;
      shrink.remaining -= 1;
      if (shrink.remaining <= 0) shrinks.delete(xuid);
      return shrink.percent;
    },
    setRateLimit(xuid, windows) {
      requireAccount(xuid);
      limiter.clear(xuid);
      if (windows === null) rateLimits.delete(xuid);
      else rateLimits.set(xuid, [...windows]);
      return state.rateLimit(xuid);
    },
    rateLimit: (xuid) => rateLimits.get(xuid) ?? defaultRateLimit,
    throttle(xuid, service) {
      const windows = state.rateLimit(xuid);
      if (windows.length === 0) return undefined;
      return limiter.take(`${xuid}:${service}`, windows, now());
    },
  };
  state.reset();
  return state;
}
