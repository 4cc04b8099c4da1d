import { sql, type Kysely } from 'kysely';
import type { Database, PlatformId } from '@ach/db';
import type { LibraryCounts } from './sandbox-account-kits.ts';

/** What the database holds for one user on one platform, counted the way `SandboxAccountKit.library` counts the sandbox. */
export async function storedLibraryCounts(db: Kysely<Database>, userId: string, platformId: PlatformId): Promise<LibraryCounts> {
  const [games, achievements, earned] = await Promise.all([
    db.selectFrom('user_progress').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('platform_id', '=', platformId).executeTakeFirstOrThrow(),
    db
      .selectFrom('achievements as a')
      .innerJoin('user_progress as p', (join) => join.onRef('p.platform_id', '=', 'a.platform_id').onRef('p.platform_game_id', '=', 'a.platform_game_id'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('p.user_id', '=', userId)
      .where('p.platform_id', '=', platformId)
      .executeTakeFirstOrThrow(),
    db.selectFrom('user_achievements').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('platform_id', '=', platformId).executeTakeFirstOrThrow(),
  ]);
  return { games: Number(games.n), achievements: Number(achievements.n), earned: Number(earned.n) };
}

/**
 * Migration 0007's `check_progress_parity()` over the whole database: progress rows whose
 * achievements_earned differs from the user's stored unlocks of that game, and unlocks without a
 * progress row. Empty when every count agrees.
 */
export async function progressParityBreaches(db: Kysely<Database>): Promise<unknown[]> {
  return (await sql`select * from public.check_progress_parity()`.execute(db)).rows;
}
