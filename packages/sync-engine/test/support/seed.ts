import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';
import { TEST_PLATFORMS, type TestPlatform } from './test-platforms.ts';

/** A user as signup makes one: auth.users, and public.users unless a trigger already made it. */
export async function createUser(db: Kysely<Database>, name = `u${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${`${name}@example.test`})`.execute(db);
  await sql`insert into public.users (id, email, username) values (${id}, ${`${name}@example.test`}, ${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')})
            on conflict (id) do nothing`.execute(db);
  return id;
}

export async function linkAccount(db: Kysely<Database>, userId: string, platform: TestPlatform, externalAccountId: string): Promise<void> {
  await db.insertInto('platform_accounts').values({ user_id: userId, platform_id: TEST_PLATFORMS[platform].id, external_account_id: externalAccountId }).execute();
}

export async function createSyncLog(db: Kysely<Database>, userId: string, platform: TestPlatform, mode: 'incremental' | 'full' = 'incremental'): Promise<string> {
  const row = await db
    .insertInto('sync_logs')
    .values({ user_id: userId, platform_id: TEST_PLATFORMS[platform].id, mode })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.updateTable('platform_accounts').set({ sync_status: 'queued', last_sync_id: row.id }).where('user_id', '=', userId).where('platform_id', '=', TEST_PLATFORMS[platform].id).execute();
  return row.id;
}



