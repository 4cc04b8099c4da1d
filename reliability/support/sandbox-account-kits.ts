import type { Platform } from '@ach/db';
import type { PlatformModule } from '@ach/platform-registry';
import type { StartedSandbox } from '@ach/platform-sandbox';

type SandboxState = StartedSandbox['state'];

/** A library's size: PSN's trophies per title come from its catalogue (≈25 on average), the others take it. */
export interface LibrarySize {
  titles: number;
  achievementsPerTitle: number;
}

/** What a full sync must store for one account: games, their achievement definitions, the unlocks. */
export interface LibraryCounts {
  games: number;
  achievements: number;
  earned: number;
}

/** At most `max` requests per `seconds` for one account (scaled down from the platform's real budget). */
export interface RequestWindow {
  max: number;
  seconds: number;
}

export interface SandboxAccount {
  /** The platform's id for the account (PSN accountId, xuid, SteamID64): `platform_accounts.external_account_id`. */
  externalId: string;
  /** What a user gives `PUT /accounts/<slug>` to link it. */
  linkBody: unknown;
}

/**
 * What a reliability scenario needs to know about one platform's stand-in: how to make the n-th test
 * account with a small library, what that library holds, the endpoints a full sync calls (where
 * faults go), and — where the sandbox enforces per-account request windows — how to arm one and the
 * worker environment that gives the system the same budget.
 */
export interface SandboxAccountKit {
  create(state: SandboxState, n: number, size: LibrarySize): SandboxAccount;
  library(state: SandboxState, externalId: string): LibraryCounts;
  syncEndpoints: readonly string[];
  requestWindow?: {
    /** Arms the window on the account (and opens it afresh: calls made before, e.g. by linking, are forgotten). */
    apply(state: SandboxState, externalId: string, window: RequestWindow): void;
    /** The worker's `<PLATFORM>_RATE_LIMIT_*` for the same budget. */
    workerEnv(window: RequestWindow): Record<string, string>;
  };
}

const pad = (n: number, digits: number) => String(n).padStart(digits, '0');
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Xbox counts two windows at once; the scenario's window is the burst one, the sustained one 2.5× its calls over 3× its span. */
const xboxWindows = (w: RequestWindow) => [
  { maxRequests: w.max, periodSeconds: w.seconds },
  { maxRequests: Math.floor(w.max * 2.5), periodSeconds: w.seconds * 3 },
];

const psnKit: SandboxAccountKit = {
  create(state, n, size) {
    // 19 digits like PSN's own ids (beyond 2^53: nothing may turn one into a number).
    const accountId = `71${pad(n, 17)}`;
    const npsso = `reliability-npsso-${n}`;
    state.psn.addAccount({ npsso, accountId, onlineId: `rel_${n}`, library: { titles: size.titles, earnedRatio: 0.5 } });
    return { externalId: accountId, linkBody: { npsso } };
  },
  library(state, accountId) {
    const view = state.psn.trophies.view(accountId, false)!;
    return { games: view.titleCount, achievements: view.trophyCount, earned: view.earnedCount };
  },
  syncEndpoints: ['psn.trophyTitles', 'psn.titleTrophies', 'psn.titleTrophyGroups', 'psn.userTrophies'],
  requestWindow: {
    apply: (state, accountId, w) => state.psn.trophies.setRateLimit(accountId, { limit: w.max, windowSeconds: w.seconds }),
    workerEnv: (w) => ({ PSN_RATE_LIMIT_MAX: String(w.max), PSN_RATE_LIMIT_WINDOW_MS: String(w.seconds * 1000) }),
  },
};

const xboxKit: SandboxAccountKit = {
  create(state, n, size) {
    const xuid = `25354${pad(n, 11)}`;
    const refreshToken = `reliability-msa-${n}`;
    state.xbox.addAccount({
      refreshToken,
      xuid,
      gamertag: `Rel${n}`,
      userHash: `9${pad(n, 18)}`,
      library: { titles: size.titles, achievementsPerTitle: size.achievementsPerTitle, x360Ratio: 0.25, earnedRatio: 0.5 },
    });
    return { externalId: xuid, linkBody: { refreshToken } };
  },
  library(state, xuid) {
    const titles = state.xbox.library(xuid)!.titles();
    return { games: titles.length, achievements: sum(titles.map((t) => t.definition.achievements.length)), earned: sum(titles.map((t) => t.earnedCount)) };
  },
  syncEndpoints: ['xbox.titlehubHistory', 'xbox.achievements', 'xbox.titleAchievements'],
  requestWindow: {
    apply: (state, xuid, w) => void state.xbox.setRateLimit(xuid, xboxWindows(w)),
    workerEnv: (w) => {
      const [burst, sustain] = xboxWindows(w);
      return {
        XBOX_RATE_LIMIT_MAX: String(burst!.maxRequests),
        XBOX_RATE_LIMIT_WINDOW_MS: String(burst!.periodSeconds * 1000),
        XBOX_RATE_LIMIT_SUSTAIN_MAX: String(sustain!.maxRequests),
        XBOX_RATE_LIMIT_SUSTAIN_WINDOW_MS: String(sustain!.periodSeconds * 1000),
      };
    },
  },
};

/** Steam has no per-account window (one key budget, which the sandbox does not enforce). */
const steamKit: SandboxAccountKit = {
  create(state, n, size) {
    const steamId = `765611985${pad(n, 8)}`;
    state.steam.putAccount(steamId, { games: size.titles, achievementsPerGame: size.achievementsPerTitle, earnedRatio: 0.5, personaName: `Rel ${n}` });
    return { externalId: steamId, linkBody: { steamId } };
  },
  library(state, steamId) {
    const games = state.steam.library(steamId)!.games;
    return { games: games.length, achievements: sum(games.map((g) => g.achievements.length)), earned: sum(games.map((g) => g.earnedCount)) };
  },
  syncEndpoints: ['steam.GetOwnedGames', 'steam.GetPlayerAchievements', 'steam.GetSchemaForGame', 'steam.GetGlobalAchievementPercentagesForApp'],
};

const KITS: Record<Platform, SandboxAccountKit> = { psn: psnKit, xbox: xboxKit, steam: steamKit };

/** The kit of a registry platform; a platform added to the registry without one fails here, by name. */
export function sandboxAccountKit(platform: Pick<PlatformModule, 'slug'>): SandboxAccountKit {
  const kit = KITS[platform.slug];
  if (!kit) throw new Error(`reliability/support/sandbox-account-kits.ts has no kit for platform ${platform.slug}: add one`);
  return kit;
}

