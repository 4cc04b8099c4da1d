import type { Kysely } from 'kysely';
import type { Database, PlatformId } from '@ach/db';
import { loadFreshGameMetadata, type StoredGameMetadata } from '@ach/library';
import type { GameMetadata } from '../adapter/platform-adapter.ts';

export const DEFAULT_METADATA_TTL_MS = 7 * 24 * 3600 * 1000;

/** What the database already knows about a title's definitions. */
export type StoredMetadata = StoredGameMetadata;

export interface FetchedMetadata extends GameMetadata {
  fetchedAt: Date;
}

/**
 * A game's definitions and rarity are the same for every user, so they are fetched once per TTL
 * (`games.metadata_fetched_at`), not once per user. Within one process, concurrent jobs asking for
 * the same title share one request until its result is in the database.
 */
export interface GameMetadataCache {
  /** Stored, still-fresh metadata for these titles (stale or never-fetched titles are absent). */
  loadFresh(gameIds: string[]): Promise<Map<string, StoredMetadata>>;
  /** One platform request per title at a time in this process. */
  fetchShared(gameId: string, fetch: () => Promise<GameMetadata>): Promise<FetchedMetadata>;
  /**
   * The write of these titles' fetched metadata has ended: committed (later jobs read it from the
   * database) or rolled back (later jobs fetch it again).
   */
  settled(gameIds: string[]): void;
}

export function createGameMetadataCache(deps: { db: Kysely<Database>; platformId: PlatformId; ttlMs?: number }): GameMetadataCache {
  const ttlMs = deps.ttlMs ?? DEFAULT_METADATA_TTL_MS;
  const pending = new Map<string, Promise<FetchedMetadata>>();

  return {
    loadFresh(gameIds) {
      return loadFreshGameMetadata(deps.db, { platformId: deps.platformId, gameIds, fetchedAfter: new Date(Date.now() - ttlMs) });
    },

    fetchShared(gameId, fetch) {
      const inFlight = pending.get(gameId);
      if (inFlight) return inFlight;
      const promise = fetch().then(
        (metadata) => ({ ...metadata, fetchedAt: new Date() }),
        (error: unknown) => {
          pending.delete(gameId);
          throw error;
        },
      );
      pending.set(gameId, promise);
      return promise;
    },

    settled(gameIds) {
      for (const id of gameIds) pending.delete(id);
    },
  };
}
