import type { Platform } from '@ach/db';

/**
 * What the engine needs from a platform, in the engine's terms. An adapter (worker-steam's
 * `steam-adapter.ts`, later PSN and Xbox) turns a platform client's answers into these shapes; the
 * engine never sees a platform's own field names.
 */
export interface PlatformAdapter {
  readonly platform: Platform;
  /** Every title on the account, each with a marker that moves whenever the user's progress may have. */
  listTitles(account: AdapterAccount): Promise<TitleSummary[]>;
  /**
   * The game's achievement definitions with rarity. Shared by every user: the engine caches it in
   * `games`/`achievements` for a TTL and asks again only when it is stale or incomplete.
   * A title without achievements is `{ achievements: [] }`, not an error.
   */
  fetchGameMetadata(account: AdapterAccount, title: TitleSummary): Promise<GameMetadata>;
  /** The user's unlocks in one title. "This title has no stats" is `{ unlocks: [] }`, not an error. */
  fetchUserUnlocks(account: AdapterAccount, title: TitleSummary): Promise<UserUnlocks>;
}

export interface AdapterAccount {
  userId: string;
  /** PSN accountId, Xbox xuid, SteamID64 — as the platform spells it. */
  externalAccountId: string;
  /** Decrypted lazily: Steam never needs it, PSN/Xbox call it once per job. */
  credentials: () => unknown;
  /** For adapters that refresh tokens: seals and stores the new ones. */
  saveCredentials: (value: unknown) => Promise<void>;
}

export interface TitleSummary {
  /** The natural key, exactly as the platform spells it (Steam appid, PSN npCommunicationId, Xbox titleId). */
  platformGameId: string;
  name: string;
  iconUrl: string | null;
  /**
   * Opaque: equal to the stored marker means "nothing new for this user in this title". Steam uses
   * last-played time + playtime, PSN would use lastUpdatedDateTime, Xbox lastUnlock.
   */
  changeMarker: string;
  lastPlayedAt: Date | null;
  playtimeMinutes: number | null;
  /** Game-level facts only (the same for every user); stored in games.platform_specific_data. */
  gameData?: Record<string, unknown>;
}

export interface AchievementDefinition {
  platformAchievementId: string;
  name: string;
  description: string | null;
  iconUrl: string | null;
  iconLockedUrl: string | null;
  hidden: boolean;
  points: number | null;
  type: string | null;
  /** 0–100, or null when the platform gives none. */
  rarityPercentage: number | null;
  platformData?: Record<string, unknown>;
}

export interface GameMetadata {
  achievements: AchievementDefinition[];
}

export interface UserUnlock {
  platformAchievementId: string;
  earnedAt: Date | null;
}

export interface UserUnlocks {
  /** Earned achievements only. */
  unlocks: UserUnlock[];
}
