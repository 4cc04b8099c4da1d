import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';

/** The parity check: user_progress rows whose achievements_earned differs from the stored unlocks. Must be empty. */
export async function parityViolations(db: Kysely<Database>): Promise<unknown[]> {
  const result = await sql`
    select p.user_id, p.platform_id, p.platform_game_id, p.achievements_earned, count(ua.*) as stored
      from user_progress p
      left join user_achievements ua using (user_id, platform_id, platform_game_id)
     group by p.user_id, p.platform_id, p.platform_game_id, p.achievements_earned
    having p.achievements_earned <> count(ua.*)
  `.execute(db);
  return result.rows;
}

/** xmin per row, keyed by natural key, of the game tables: rows a write did not touch keep theirs. */
export async function rowVersions(db: Kysely<Database>, userId: string): Promise<Record<string, string>> {
  const result = await sql<{ k: string; x: string }>`
    select 'games:' || platform_game_id as k, xmin::text as x from games
    union all select 'achievements:' || platform_game_id || ':' || platform_achievement_id, xmin::text from achievements
    union all select 'user_achievements:' || platform_game_id || ':' || platform_achievement_id, xmin::text from user_achievements where user_id = ${userId}
    union all select 'user_progress:' || platform_game_id, xmin::text from user_progress where user_id = ${userId}
  `.execute(db);
  return Object.fromEntries(result.rows.map((r) => [r.k, r.x]));
}

export function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
}
