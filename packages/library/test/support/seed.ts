import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { AchievementRecord } from '../../src/index.ts';

/** A user as signup makes one: auth.users, and public.users unless a trigger already made it. */
export async function createUser(db: Kysely<Database>, name = `u${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${`${name}@example.test`})`.execute(db);
  await sql`insert into public.users (id, email, username) values (${id}, ${`${name}@example.test`}, ${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')})
            on conflict (id) do nothing`.execute(db);
  return id;
}

export function achievement(id: string, extra: Partial<AchievementRecord> = {}): AchievementRecord {
  return {
    platformAchievementId: id,
    name: `Name ${id}`,
    description: `Do ${id}`,
    iconUrl: `https://cdn.example/${id}.png`,
    iconLockedUrl: `https://cdn.example/${id}-gray.png`,
    hidden: false,
    points: null,
    type: null,
    rarityPercentage: 12.345,
    ...extra,
  };
}
