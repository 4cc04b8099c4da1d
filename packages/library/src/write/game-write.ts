import type { PlatformId } from '@ach/db';

/**
 * What the library stores of one title, in its own terms. The sync engine's adapter shapes
 * (`TitleSummary`, `AchievementDefinition`, `UserUnlock`) fit these structurally; the library never
 * imports the engine.
 */
export interface TitleRecord {
  platformGameId: string;
  name: string;
  iconUrl: string | null;
  /** Opaque; stored in `user_progress.platform_specific_data.changeMarker` and read back by `storedChangeMarkers`. */
  changeMarker: string;
  lastPlayedAt: Date | null;
  playtimeMinutes: number | null;
  /** Game-level facts (the same for every user): `games.platform_specific_data`. */
  gameData?: Record<string, unknown>;
  /**
   * The user's progress as the platform itself reports it. Where given, it wins over what the
   * library would compute from the rows (PSN's `progress` weighs trophies by grade, Xbox's
   * percentage and gamerscore are its own); `achievements_earned` is still always the row count.
   */
  progress?: PlatformProgress;
}

export interface PlatformProgress {
  /** 0–100, the platform's own completion figure. */
  completionPercentage?: number | null;
  /** The platform's own points (Xbox gamerscore). */
  pointsEarned?: number | null;
  pointsTotal?: number | null;
  /** Stored in `user_progress.platform_specific_data` beside the change marker (e.g. counts by trophy grade). */
  data?: Record<string, unknown>;
}

export interface AchievementRecord {
  platformAchievementId: string;
  name: string;
  description: string | null;
  iconUrl: string | null;
  iconLockedUrl: string | null;
  hidden: boolean;
  points: number | null;
  type: string | null;
  /** 0–100 or null; stored rounded to numeric(6,3). */
  rarityPercentage: number | null;
  platformData?: Record<string, unknown>;
}

export interface UnlockRecord {
  platformAchievementId: string;
  earnedAt: Date | null;
}

/** One title's fetched state, ready to be written. */
export interface GameWrite {
  title: TitleRecord;
  /**
   * Fresh definitions to store; null when the cached ones are still good (achievements untouched).
   * `gameData`: game-level facts that come with the definitions (e.g. PSN's trophy group names), kept
   * in `games.platform_specific_data` beside the title's own `gameData` until the next definitions.
   */
  metadata: { achievements: AchievementRecord[]; fetchedAt: Date; gameData?: Record<string, unknown> } | null;
  /** The user's earned achievements in this title (complete for the title). */
  unlocks: UnlockRecord[];
  /**
   * Rarity seen with the user's unlocks (PSN gives `trophyEarnedRate` only there), for definitions
   * served from the cache: written to `achievements.rarity_percentage` where it moved.
   */
  rarity?: RarityRecord[];
}

export interface RarityRecord {
  platformAchievementId: string;
  rarityPercentage: number | null;
}

export interface WriteGameBatchInput {
  userId: string;
  platformId: PlatformId;
  games: GameWrite[];
  /** Delete the user's unlocks in these titles that the platform no longer reports (stats reset). */
  removeUnreported: boolean;
}
