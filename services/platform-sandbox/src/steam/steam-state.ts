import { z } from 'zod';
import { SandboxStateError } from '../sandbox-state-error.ts';
import { seededRandom } from '../synthetic/seeded-random.ts';
import { playerHandle } from '../synthetic/synthetic-names.ts';
import {
  appIdFor,
  createSteamCatalogue,
  DEFAULT_CATALOGUE_SHAPE,
  GAMES_PER_SHELF,
  locateAppId,
  MAX_ACHIEVEMENTS_PER_GAME,
  normaliseShape,
  type SteamGameDefinition,
} from './steam-catalogue.ts';

/**
 * Steam accounts of the sandbox. A library is generated from a PRNG seeded with the account id, so it is
 * the same in every run; only what a test changes (earn, add games, privacy, reset stats) is kept.
 */

/** Library timestamps are relative to this fixed instant (2025-01-01T00:00:00Z), not to "now": determinism. */
export const STEAM_LIBRARY_EPOCH = 1_735_689_600;
const DAY = 86_400;

const ratio = z.number().min(0).max(1);
export const steamAccountOptionsSchema = z.strictObject({
  games: z.number().int().min(0).max(GAMES_PER_SHELF).default(25),
  achievementsPerGame: z.number().int().min(0).max(MAX_ACHIEVEMENTS_PER_GAME).default(DEFAULT_CATALOGUE_SHAPE.achievementsPerGame),
  earnedRatio: ratio.default(0.4),
  hiddenRatio: ratio.default(DEFAULT_CATALOGUE_SHAPE.hiddenRatio),
  noStatsRatio: ratio.default(DEFAULT_CATALOGUE_SHAPE.noStatsRatio),
  private: z.boolean().default(false),
  personaName: z.string().min(1).max(64).optional(),
  vanity: z
    .string()
    .regex(/^[A-Za-z0-9_-]{2,32}$/)
    .optional(),
});
export type SteamAccountOptions = z.input<typeof steamAccountOptionsSchema>;
type NormalisedOptions = z.output<typeof steamAccountOptionsSchema>;

export const steamIdSchema = z.string().regex(/^7656119\d{10}$/, 'a SteamID64 (17 digits starting 7656119)');

export interface SteamSandboxOptions {
  /** Keys the sandbox accepts; anything else gets Steam's invalid-key 403 page. */
  apiKeys?: string[];
  /** Accounts created by reset(); defaults to DEFAULT_STEAM_ACCOUNTS. */
  accounts?: { steamId: string; options: SteamAccountOptions }[];
  /** Unix seconds; what "now" means for earn and add-games. */
  clock?: () => number;
}

export const DEFAULT_STEAM_API_KEY = 'sandbox-steam-key';

/** The fixtures' default account first (gravin79), then demo accounts; all public but one. */
export const DEFAULT_STEAM_ACCOUNTS: { steamId: string; options: SteamAccountOptions }[] = [
  { steamId: '76561198046174695', options: { vanity: 'gravin79', personaName: 'gravin79', games: 45, earnedRatio: 0.45 } },
  { steamId: '76561198000000001', options: { vanity: 'sandbox-demo', personaName: 'Demo Player', games: 30, earnedRatio: 0.5 } },
  { steamId: '76561198000000002', options: { vanity: 'sandbox-rival', personaName: 'Rival Player', games: 40, earnedRatio: 0.3 } },
  { steamId: '76561198000000003', options: { vanity: 'sandbox-private', personaName: 'Private Player', games: 12, private: true } },
  {
    steamId: '76561198000000004',
    options: { vanity: 'sandbox-collector', personaName: 'Collector', games: 1000, achievementsPerGame: 50, earnedRatio: 0.6, hiddenRatio: 0.1, noStatsRatio: 0 },
  },
];

interface GameProgress {
  playtimeForever: number;
  rtimeLastPlayed: number;
  /** Per achievement, in schema order: unix seconds, 0 = locked. */
  unlockTimes: number[];
}

interface SteamAccount {
  steamId: string;
  options: NormalisedOptions;
  personaName: string;
  vanity: string | undefined;
  avatarHash: string;
  timeCreated: number;
  lastLogoff: number;
  isPrivate: boolean;
  gameCount: number;
  /** Generated on first read, then mutated in place by earn / reset-stats. */
  progress: Map<number, GameProgress>;
}

export interface SteamOwnedGameView {
  appid: number;
  name: string;
  iconHash: string;
  hasStats: boolean;
  playtimeForever: number;
  rtimeLastPlayed: number;
}

export interface SteamAchievementView {
  apiname: string;
  displayName: string;
  hidden: boolean;
  achieved: boolean;
  unlocktime: number;
}

export interface SteamAccountView {
  steamId: string;
  personaName: string;
  vanity: string | undefined;
  private: boolean;
  gameCount: number;
  options: NormalisedOptions;
}

/** Everything a test needs to predict what a full sync must store. */
export interface SteamLibraryView extends SteamAccountView {
  games: (SteamOwnedGameView & { achievements: SteamAchievementView[]; earnedCount: number })[];
}

export interface SteamProfileView {
  steamId: string;
  personaName: string;
  vanity: string | undefined;
  avatarHash: string;
  timeCreated: number;
  lastLogoff: number;
  private: boolean;
}

export type SteamPlayerAchievementsView =
  | { kind: 'achievements'; gameName: string; achievements: { apiname: string; achieved: 0 | 1; unlocktime: number }[] }
  | { kind: 'no_stats' }
  | { kind: 'private' };

export interface SteamSandboxState {
  /** Unix seconds by the state's clock (what unlock and play times are stamped with). */
  now(): number;
  isValidKey(key: string | undefined): boolean;
  reset(): void;
  /** Creates or replaces an account (its mutations are forgotten). */
  putAccount(steamId: string, options?: SteamAccountOptions): SteamAccountView;
  removeAccount(steamId: string): boolean;
  getAccount(steamId: string): SteamAccountView | undefined;
  listAccounts(): SteamAccountView[];
  library(steamId: string): SteamLibraryView | undefined;
  /** Unlocks the next `count` locked achievements of a game (schema order), now; bumps last-played and playtime. */
  earn(steamId: string, appid: number, count: number): { appid: number; earned: string[]; rtimeLastPlayed: number };
  /** The account buys `count` more games (the next ones on its catalogue shelf); returns their appids. */
  addGames(steamId: string, count: number): number[];
  setPrivate(steamId: string, isPrivate: boolean): SteamAccountView;
  /** Removes every unlock of a game (Steam's "reset stats"); last-played is left alone, as on Steam. */
  resetStats(steamId: string, appid: number): void;
  resolveVanity(vanity: string): string | undefined;
  // What the Steam routes read:
  ownedGames(steamId: string): SteamOwnedGameView[] | 'private';
  playerAchievements(steamId: string, appid: number): SteamPlayerAchievementsView;
  game(appid: number): SteamGameDefinition | undefined;
  profile(steamId: string): SteamProfileView | undefined;
}

export function createSteamSandboxState(options: SteamSandboxOptions = {}): SteamSandboxState {
  const apiKeys = new Set(options.apiKeys ?? [DEFAULT_STEAM_API_KEY]);
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const catalogue = createSteamCatalogue();
  const accounts = new Map<string, SteamAccount>();
  const vanities = new Map<string, string>();

  const shapeOf = (account: SteamAccount) => normaliseShape(account.options);
  const appIdsOf = (account: SteamAccount) => {
    const shape = shapeOf(account);
    return Array.from({ length: account.gameCount }, (_, i) => appIdFor(shape, i));
  };
  const owns = (account: SteamAccount, appid: number) => {
    const located = locateAppId(appid);
    return located !== undefined && located.index < account.gameCount && appIdFor(shapeOf(account), located.index) === appid;
  };

  function requireAccount(steamId: string): SteamAccount {
    const account = accounts.get(steamId);
    if (!account) throw new SandboxStateError(404, `no sandbox Steam account ${steamId}`);
    return account;
  }

  function requireOwnedGame(account: SteamAccount, appid: number): SteamGameDefinition {
    const definition = catalogue.game(appid);
    if (!definition || !owns(account, appid)) throw new SandboxStateError(404, `account ${account.steamId} does not own app ${appid}`);
    return definition;
  }

  function progressOf(account: SteamAccount, definition: SteamGameDefinition): GameProgress {
    let progress = account.progress.get(definition.appid);
    if (!progress) {
      progress = generateProgress(account, definition);
      account.progress.set(definition.appid, progress);
    }
    return progress;
  }

  function generateProgress(account: SteamAccount, definition: SteamGameDefinition): GameProgress {
    const rng = seededRandom(`steam-progress:${account.steamId}:${definition.appid}`);
    const { earnedRatio } = account.options;
    const neverPlayed = earnedRatio < 1 && rng.chance(0.1);
    const rtimeLastPlayed = neverPlayed ? 0 : STEAM_LIBRARY_EPOCH - rng.int(0, 3 * 365 * DAY);
    const playtimeForever = neverPlayed ? 0 : rng.int(5, 9_000);
    const unlockTimes = Array.from({ length: definition.achievementCount }, () => {
      if (neverPlayed || !rng.chance(earnedRatio)) return 0;
      return Math.max(account.timeCreated, rtimeLastPlayed - rng.int(0, 2 * 365 * DAY));
    });
    return { playtimeForever, rtimeLastPlayed, unlockTimes };
  }

  function view(account: SteamAccount): SteamAccountView {
    return {
      steamId: account.steamId,
      personaName: account.personaName,
      vanity: account.vanity,
      private: account.isPrivate,
      gameCount: account.gameCount,
      options: { ...account.options },
    };
  }

  function ownedGameView(account: SteamAccount, definition: SteamGameDefinition): SteamOwnedGameView {
    const progress = progressOf(account, definition);
    return {
      appid: definition.appid,
      name: definition.name,
      iconHash: definition.iconHash,
      hasStats: definition.hasStats,
      playtimeForever: progress.playtimeForever,
      rtimeLastPlayed: progress.rtimeLastPlayed,
    };
  }

  function putAccount(steamId: string, input: SteamAccountOptions = {}): SteamAccountView {
    steamIdSchema.parse(steamId);
    const parsed = steamAccountOptionsSchema.parse(input);
    const shape = normaliseShape(parsed);
    const normalised: NormalisedOptions = { ...parsed, ...shape };
    if (parsed.vanity) {
      const holder = vanities.get(parsed.vanity.toLowerCase());
      if (holder && holder !== steamId) throw new SandboxStateError(409, `vanity "${parsed.vanity}" already belongs to ${holder}`);
    }
    removeAccount(steamId);
    const rng = seededRandom(`steam-account:${steamId}`);
    const timeCreated = STEAM_LIBRARY_EPOCH - rng.int(4 * 365 * DAY, 12 * 365 * DAY);
    const account: SteamAccount = {
      steamId,
      options: normalised,
      personaName: parsed.personaName ?? playerHandle(rng),
      vanity: parsed.vanity,
      avatarHash: rng.hex(40),
      timeCreated,
      lastLogoff: STEAM_LIBRARY_EPOCH - rng.int(0, 30 * DAY),
      isPrivate: parsed.private,
      gameCount: parsed.games,
      progress: new Map(),
    };
    accounts.set(steamId, account);
    if (account.vanity) vanities.set(account.vanity.toLowerCase(), steamId);
    return view(account);
  }

  function removeAccount(steamId: string): boolean {
    const account = accounts.get(steamId);
    if (!account) return false;
    if (account.vanity) vanities.delete(account.vanity.toLowerCase());
    accounts.delete(steamId);
    return true;
  }

  function reset() {
    accounts.clear();
    vanities.clear();
    for (const seed of options.accounts ?? DEFAULT_STEAM_ACCOUNTS) putAccount(seed.steamId, seed.options);
  }

  reset();

  return {
    now: clock,
    isValidKey: (key) => key !== undefined && apiKeys.has(key),
    reset,
    putAccount,
    removeAccount,
    getAccount(steamId) {
      const account = accounts.get(steamId);
      return account && view(account);
    },
    listAccounts: () => [...accounts.values()].map(view),

    library(steamId) {
      const account = accounts.get(steamId);
      if (!account) return undefined;
      const games = appIdsOf(account).map((appid) => {
        const definition = catalogue.game(appid)!;
        const progress = progressOf(account, definition);
        const achievements = definition.achievements.map((a, i) => ({
          apiname: a.apiname,
          displayName: a.displayName,
          hidden: a.hidden,
          achieved: progress.unlockTimes[i]! > 0,
          unlocktime: progress.unlockTimes[i]!,
        }));
        return { ...ownedGameView(account, definition), achievements, earnedCount: achievements.filter((a) => a.achieved).length };
      });
      return { ...view(account), games };
    },

    earn(steamId, appid, count) {
      const account = requireAccount(steamId);
      const definition = requireOwnedGame(account, appid);
      if (!definition.hasStats) throw new SandboxStateError(400, `app ${appid} has no stats: nothing to earn`);
      const progress = progressOf(account, definition);
      const now = clock();
      const earned: string[] = [];
      for (let i = 0; i < definition.achievementCount && earned.length < count; i++) {
        if (progress.unlockTimes[i] !== 0) continue;
        progress.unlockTimes[i] = now;
        earned.push(definition.achievements[i]!.apiname);
      }
      // An incremental sync decides what to look at from last-played and playtime: both must move.
      progress.rtimeLastPlayed = Math.max(now, progress.rtimeLastPlayed + 1);
      progress.playtimeForever += Math.max(1, earned.length * 7);
      return { appid, earned, rtimeLastPlayed: progress.rtimeLastPlayed };
    },

    addGames(steamId, count) {
      const account = requireAccount(steamId);
      if (!Number.isInteger(count) || count < 1) throw new SandboxStateError(400, 'count must be a positive integer');
      if (account.gameCount + count > GAMES_PER_SHELF) throw new SandboxStateError(400, `at most ${GAMES_PER_SHELF} games per account`);
      const shape = shapeOf(account);
      const added = Array.from({ length: count }, (_, i) => appIdFor(shape, account.gameCount + i));
      account.gameCount += count;
      return added;
    },

    setPrivate(steamId, isPrivate) {
      const account = requireAccount(steamId);
      account.isPrivate = isPrivate;
      return view(account);
    },

    resetStats(steamId, appid) {
      const account = requireAccount(steamId);
      const definition = requireOwnedGame(account, appid);
      const progress = progressOf(account, definition);
      progress.unlockTimes.fill(0);
    },

    resolveVanity: (vanity) => vanities.get(vanity.toLowerCase()),

    ownedGames(steamId) {
      const account = accounts.get(steamId);
      // Steam answers an unknown account exactly like a private one.
      if (!account || account.isPrivate) return 'private';
      return appIdsOf(account).map((appid) => ownedGameView(account, catalogue.game(appid)!));
    },

    playerAchievements(steamId, appid) {
      const account = accounts.get(steamId);
      if (!account || account.isPrivate) return { kind: 'private' };
      const definition = catalogue.game(appid);
      if (!definition || !definition.hasStats || !owns(account, appid)) return { kind: 'no_stats' };
      const progress = progressOf(account, definition);
      return {
        kind: 'achievements',
        gameName: definition.name,
        achievements: definition.achievements.map((a, i) => ({
          apiname: a.apiname,
          achieved: progress.unlockTimes[i]! > 0 ? 1 : 0,
          unlocktime: progress.unlockTimes[i]!,
        })),
      };
    },

    game: (appid) => catalogue.game(appid),

    profile(steamId) {
      const account = accounts.get(steamId);
      if (!account) return undefined;
      return {
        steamId,
        personaName: account.personaName,
        vanity: account.vanity,
        avatarHash: account.avatarHash,
        timeCreated: account.timeCreated,
        lastLogoff: account.lastLogoff,
        private: account.isPrivate,
      };
    },
  };
}
