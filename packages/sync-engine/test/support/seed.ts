import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { PLATFORM_IDS, type Database, type Platform } from '@ach/db';

/** A user as signup makes one: auth.users, and public.users unless a trigger already made it. */
export async function createUser(db: Kysely<Database>, name = `u${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${`${name}@example.test`})`.execute(db);
  await sql`insert into public.users (id, email, username) values (${id}, ${`${name}@example.test`}, ${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')})
            on conflict (id) do nothing`.execute(db);
  return id;
}

export async function linkAccount(db: Kysely<Database>, userId: string, platform: Platform, externalAccountId: string): Promise<void> {
  await db.insertInto('platform_accounts').values({ user_id: userId, platform_id: PLATFORM_IDS[platform], external_account_id: externalAccountId }).execute();
}

export async function createSyncLog(db: Kysely<Database>, userId: string, platform: Platform, mode: 'incremental' | 'full' = 'incremental'): Promise<string> {
  const row = await db
    .insertInto('sync_logs')
    .values({ user_id: userId, platform_id: PLATFORM_IDS[platform], mode })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.updateTable('platform_accounts').set({ sync_status: 'queued', last_sync_id: row.id }).where('user_id', '=', userId).where('platform_id', '=', PLATFORM_IDS[platform]).execute();
  return row.id;
}

/** user_progress rows whose achievements_earned differs from the stored unlocks: must always be empty. */
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

/** Every row's xmin per table, keyed by natural key: unchanged rows keep theirs. */
export async function xmins(db: Kysely<Database>, userId: string): Promise<Record<string, string>> {
  const result = await sql<{ k: string; x: string }>`
    select 'g:' || platform_game_id as k, xmin::text as x from games
    union all select 'a:' || platform_game_id || ':' || platform_achievement_id, xmin::text from achievements
    union all select 'ua:' || platform_game_id || ':' || platform_achievement_id, xmin::text from user_achievements where user_id = ${userId}
    union all select 'up:' || platform_game_id, xmin::text from user_progress where user_id = ${userId}
  `.execute(db);
  return Object.fromEntries(result.rows.map((r) => [r.k, r.x]));
}

export function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}
