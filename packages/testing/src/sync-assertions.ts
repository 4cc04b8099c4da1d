import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';

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
