import type { Kysely } from 'kysely';
import type { Database, PlatformId } from '@ach/db';

/**
 * Columns that say when or in which transaction a row was written, not what it holds: two runs that
 * store the same library differ in them by design.
 */
const WRITE_MARKERS = new Set(['created_at', 'updated_at', 'metadata_fetched_at', 'sync_xid', 'sync_created_xid', 'user_id']);

const content = <T extends object>(rows: T[]) =>
  rows.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !WRITE_MARKERS.has(column))));

export interface LibraryRows {
  games: Record<string, unknown>[];
  achievements: Record<string, unknown>[];
  user_progress: Record<string, unknown>[];
  user_achievements: Record<string, unknown>[];
}

/**
 * What a sync stored for one user and platform — the user's progress and unlocks, and the shared
 * definitions of the games the user has — every column but the write markers (and the user's id),
 * in a stable order: two users who synced the same account compare equal.
 */
export async function libraryRows(db: Kysely<Database>, userId: string, platformId: PlatformId): Promise<LibraryRows> {
  const usersGames = db.selectFrom('user_progress').select('platform_game_id').where('user_id', '=', userId).where('platform_id', '=', platformId);
  const [games, achievements, progress, unlocks] = await Promise.all([
    db.selectFrom('games').selectAll().where('platform_id', '=', platformId).where('platform_game_id', 'in', usersGames).orderBy('platform_game_id').execute(),
    db
      .selectFrom('achievements')
      .selectAll()
      .where('platform_id', '=', platformId)
      .where('platform_game_id', 'in', usersGames)
      .orderBy('platform_game_id')
      .orderBy('platform_achievement_id')
      .execute(),
    db.selectFrom('user_progress').selectAll().where('user_id', '=', userId).where('platform_id', '=', platformId).orderBy('platform_game_id').execute(),
    db
      .selectFrom('user_achievements')
      .selectAll()
      .where('user_id', '=', userId)
      .where('platform_id', '=', platformId)
      .orderBy('platform_game_id')
      .orderBy('platform_achievement_id')
      .execute(),
  ]);
  return { games: content(games), achievements: content(achievements), user_progress: content(progress), user_achievements: content(unlocks) };
}
