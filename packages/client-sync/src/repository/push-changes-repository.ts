import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '@ach/db';
import type { WritableTable } from '../protocol/client-tables.ts';

/**
 * Every statement of a push, each scoped to the caller (`profile_id` / `id` = the user): the API
 * connects as the table owner and bypasses RLS, so these WHERE clauses are the isolation. All run
 * inside the one transaction `applyPush` opens.
 */

type Trx = Transaction<Database>;

export interface HelpRequestWrite {
  id: string;
  /** The `sync_version` the record was pulled with; absent on a record the device created. */
  version?: number | null;
  platformId: number;
  platformGameId: string;
  platformAchievementId: string | null;
  message: string | null;
  status: 'open' | 'resolved';
}

export interface ProfileWrite {
  version?: number | null;
  username?: string;
  displayName?: string | null;
  avatarUrl?: string | null;
}

/** Stamps (sync_xid) by record id. */
export type Stamps = Map<string, number>;

/** A deployment-wide key for "one push per user at a time" (pg_advisory_xact_lock's first int). */
const PUSH_LOCK_CLASS = 0x636c7379; // 'clsy'

/**
 * One push per user at a time: two pushes of the same new record cannot both find it missing,
 * and a push's conflict check and its writes see the same rows. Released at commit / rollback.
 */
export async function lockUserPushes(trx: Trx, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${PUSH_LOCK_CLASS}::int, hashtext(${userId}))`.execute(trx);
}

/** The watermark checks of a push, from its own snapshot: the purge horizon and the snapshot's xmax. */
export async function watermarkBounds(db: Kysely<Database> | Trx): Promise<{ purgedThrough: number; xmax: number }> {
  const { rows } = await sql<{ purged_through: number; xmax: number }>`
    select coalesce((select h.purged_through_xid from tombstone_purge_horizon h), 0) as purged_through,
           pg_snapshot_xmax(pg_current_snapshot())::text::bigint as xmax`.execute(db);
  return { purgedThrough: rows[0]!.purged_through, xmax: rows[0]!.xmax };
}

/** The caller's profile stamp, row locked; undefined when the user has no profile row. */
export async function lockProfile(trx: Trx, userId: string): Promise<number | undefined> {
  const { rows } = await sql<{ sync_xid: number }>`select sync_xid from users where id = ${userId}::uuid for update`.execute(trx);
  return rows[0]?.sync_xid;
}

/** Writes the given profile fields; false when they already held these values. */
export async function updateProfile(trx: Trx, userId: string, fields: ProfileWrite): Promise<boolean> {
  const set = (present: boolean, column: string, value: unknown) => (present ? sql`${value}` : sql.ref(`u.${column}`));
  const username = set(fields.username !== undefined, 'username', fields.username);
  const displayName = set(fields.displayName !== undefined, 'display_name', fields.displayName);
  const avatarUrl = set(fields.avatarUrl !== undefined, 'avatar_url', fields.avatarUrl);
  const result = await sql`
    update users u set username = ${username}, display_name = ${displayName}, avatar_url = ${avatarUrl}
     where u.id = ${userId}::uuid
       and (u.username, u.display_name, u.avatar_url) is distinct from (${username}::text, ${displayName}::text, ${avatarUrl}::text)`.execute(trx);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/** The caller's help requests among `ids`, rows locked. */
export async function lockHelpRequests(trx: Trx, userId: string, ids: readonly string[]): Promise<Stamps> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ id: string; sync_xid: number }>`
    select id, sync_xid from trophy_help_requests where profile_id = ${userId}::uuid and id = any(${ids}::text[]) for update`.execute(trx);
  return new Map(rows.map((r) => [r.id, r.sync_xid]));
}

/** The caller's one flex room, row locked. */
export async function lockFlexRoom(trx: Trx, userId: string): Promise<{ id: string; stamp: number } | undefined> {
  const { rows } = await sql<{ id: string; sync_xid: number }>`
    select id, sync_xid from flex_room_data where profile_id = ${userId}::uuid for update`.execute(trx);
  return rows[0] ? { id: rows[0].id, stamp: rows[0].sync_xid } : undefined;
}

/** Tombstone stamps of the caller's records among `ids` (read after the rows are locked, so a delete that committed meanwhile is seen). */
export async function tombstoneStamps(trx: Trx, userId: string, table: WritableTable, ids: readonly string[]): Promise<Stamps> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ record_id: string; sync_xid: number }>`
    select record_id, sync_xid from deleted_records
     where user_id = ${userId}::uuid and table_name = ${table} and record_id = any(${ids}::text[])`.execute(trx);
  return new Map(rows.map((r) => [r.record_id, r.sync_xid]));
}

/** Creates or updates the caller's help requests (profile_id is the caller, whatever the client sent). */
export async function upsertHelpRequests(trx: Trx, userId: string, rows: readonly HelpRequestWrite[]): Promise<{ inserted: number; updated: number }> {
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  const { rows: counts } = await sql<{ inserted: number; updated: number }>`
    with up as (
      insert into trophy_help_requests as h (profile_id, id, platform_id, platform_game_id, platform_achievement_id, message, status)
      select ${userId}::uuid, r.* from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.platformId)}::smallint[],
                                               ${rows.map((r) => r.platformGameId)}::text[], ${rows.map((r) => r.platformAchievementId)}::text[],
                                               ${rows.map((r) => r.message)}::text[], ${rows.map((r) => r.status)}::text[])
        as r(id, platform_id, platform_game_id, platform_achievement_id, message, status)
      on conflict (profile_id, id) do update set
        platform_id = excluded.platform_id, platform_game_id = excluded.platform_game_id,
        platform_achievement_id = excluded.platform_achievement_id, message = excluded.message, status = excluded.status
      where (h.platform_id, h.platform_game_id, h.platform_achievement_id, h.message, h.status)
            is distinct from (excluded.platform_id, excluded.platform_game_id, excluded.platform_achievement_id, excluded.message, excluded.status)
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up`.execute(trx);
  return counts[0] ?? { inserted: 0, updated: 0 };
}

/** Deletes the caller's records among `ids` (their tombstones come from the table's trigger); how many went. */
export async function deleteOwnRecords(trx: Trx, userId: string, table: 'trophy_help_requests' | 'flex_room_data', ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await sql`delete from ${sql.table(table)} where profile_id = ${userId}::uuid and id = any(${ids}::text[])`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

export async function insertFlexRoom(trx: Trx, userId: string, id: string, showcase: string): Promise<void> {
  await sql`insert into flex_room_data (profile_id, id, showcase) values (${userId}::uuid, ${id}, ${showcase}::jsonb)`.execute(trx);
}

/** Replaces the showcase of the caller's flex room; false when it already held it. */
export async function updateFlexRoom(trx: Trx, userId: string, id: string, showcase: string): Promise<boolean> {
  const result = await sql`
    update flex_room_data set showcase = ${showcase}::jsonb
     where profile_id = ${userId}::uuid and id = ${id} and showcase is distinct from ${showcase}::jsonb`.execute(trx);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/**
 * Tombstones for ids the caller's device holds but the server folded into another record (a second
 * device's flex room): its next pull deletes them.
 */
export async function writeTombstones(trx: Trx, userId: string, table: WritableTable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    insert into deleted_records as d (user_id, table_name, record_id, deleted_at)
    select ${userId}::uuid, ${table}, r.id, now() from unnest(${ids}::text[]) as r(id)
    on conflict (user_id, table_name, record_id) do update set deleted_at = excluded.deleted_at, sync_xid = greatest(d.sync_xid, excluded.sync_xid)`.execute(trx);
}
