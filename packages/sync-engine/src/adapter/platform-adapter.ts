import type { Platform, PlatformId, SyncMode } from '@ach/db';
import type { AchievementRecord, TitleRecord, UnlockRecord } from '@ach/library';

/**
 * What the engine needs from a platform, in the engine's terms. An adapter (worker-steam's
 * `steam-adapter.ts`, later PSN and Xbox) turns a platform client's answers into these shapes; the
 * engine never sees a platform's own field names.
 */
export interface PlatformAdapter {
  /** Its platform (the platform module itself fits): the only jobs and rows the engine touches with it. */
  readonly platform: PlatformIdentity;
  /**
   * The titles on the account, each with a marker that moves whenever the user's progress may have.
   * A platform whose list is sorted by last update may stop paging at the first title whose marker
   * equals `storedMarkers`' (in incremental mode) and answer `complete: false`: the engine then
   * removes nothing. Only a complete list in full mode removes the titles it lacks.
   */
  listTitles(account: AdapterAccount, options: ListTitlesOptions): Promise<TitleListing>;
  /**
   * The game's achievement definitions with rarity. Shared by every user: the engine caches it in
   * `games`/`achievements` for a TTL and asks again only when it is stale or incomplete.
   * A title without achievements is `{ achievements: [] }`, not an error.
   * Throw `TitleGoneError` when the platform no longer knows the title: the engine skips it.
   */
  fetchGameMetadata(account: AdapterAccount, title: TitleSummary): Promise<GameMetadata>;
  /**
   * The user's unlocks in one title. "This title has no stats" is `{ unlocks: [] }`, not an error.
   * Throw `TitleGoneError` when the title is gone on the platform's side (e.g. a 404 for it): the
   * engine skips it, counts it (`gamesSkipped`) and goes on with the others.
   */
  fetchUserUnlocks(account: AdapterAccount, title: TitleSummary): Promise<UserUnlocks>;
}

export interface ListTitlesOptions {
  mode: SyncMode;
  /**
   * platformGameId → the change marker stored for this user (null when stored without one), for
   * every title the user has on this platform; what the engine diffs the listing against.
   */
  storedMarkers: ReadonlyMap<string, string | null>;
  /**
   * When the newest run that SUCCEEDED for this user and platform first started; null when none did.
   * Every title whose last change is older than this was stored as of then or later — the guarantee
   * a list sorted by last update needs before it stops at an unchanged title. A run that was
   * interrupted vouches for nothing: it may have written the newest titles and not the older ones.
   */
  syncedThrough: Date | null;
}

export interface TitleListing {
  titles: TitleSummary[];
  /**
   * True when `titles` is every title on the account. False when the adapter stopped early (the
   * rest is unchanged): titles absent from the list are then not taken as removed.
   */
  complete: boolean;
}

/** Who a platform is: its `platforms.id`, its slug (route segment, job payload) and the name users read. */
export interface PlatformIdentity {
  readonly id: PlatformId;
  readonly slug: Platform;
  readonly displayName: string;
}

export interface AdapterAccount {
  userId: string;
  /** PSN accountId, Xbox xuid, SteamID64 — as the platform spells it. */
  externalAccountId: string;
  /** Decrypted lazily: Steam never needs it, PSN/Xbox call it once per job. */
  credentials: () => unknown;
  /**
   * For adapters that refresh tokens: seals and stores the new ones, with the instants the account row
   * shows (`token_expires_at`, `refresh_expires_at`; omitted ones are left as they are). See
   * `createCredentialSession` for the single-flight refresh around it.
   */
  saveCredentials: (value: unknown, expiry?: CredentialExpiry) => Promise<void>;
}

export interface CredentialExpiry {
  tokenExpiresAt?: Date | null;
  refreshExpiresAt?: Date | null;
}

/**
 * One title on the account, as the library stores it (`TitleRecord`: natural key, name, icon, the
 * opaque change marker — equal to the stored one means "nothing new for this user here" — play
 * data, game-level facts and the platform's own progress), plus what only the engine reads.
 */
export interface TitleSummary extends TitleRecord {
  /**
   * How many achievements the platform says the title defines, when its list says so (PSN's
   * `definedTrophies`). Cached definitions with a different count are fetched again at once (a DLC
   * added trophies) instead of waiting for the cache to expire.
   */
  definedAchievements?: number;
}

/** A definition as the library stores it; rarity 0–100 or null when the platform gives none. */
export type AchievementDefinition = AchievementRecord;

export interface GameMetadata {
  achievements: AchievementDefinition[];
  /**
   * Game-level facts that come with the definitions (PSN: trophy group names and icons): merged into
   * `games.platform_specific_data` with the title's `gameData`, and kept there while the definitions
   * are served from the cache.
   */
  gameData?: Record<string, unknown>;
}

/** One earned achievement, as the library stores it. */
export type UserUnlock = UnlockRecord;

export interface UserUnlocks {
  /** Earned achievements only. */
  unlocks: UserUnlock[];
  /**
   * Rarity, for platforms that give it only with the user's answer (PSN's `trophyEarnedRate`): the
   * engine puts it into definitions fetched in the same job, and writes it over cached ones where it
   * moved — so rarity needs no second user call and stays as fresh as the last sync of the title.
   */
  rarity?: AchievementRarity[];
}

export interface AchievementRarity {
  platformAchievementId: string;
  /** 0–100, or null when the platform gives none. */
  rarityPercentage: number | null;
}
