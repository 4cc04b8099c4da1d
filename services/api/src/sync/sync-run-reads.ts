import { sql, type Kysely } from 'kysely';
import { PLATFORM_IDS, type Database, type Platform } from '@ach/db';
import { SYNC_RUN_COLUMNS, toSyncRunView, type SyncRunRow, type SyncRunView } from './sync-run-view.ts';

/** The columns a SyncRunRow needs, as one select-list fragment. */
export const syncRunColumns = sql.join(SYNC_RUN_COLUMNS.map((c) => sql.ref(c)));

/** A user's newest run on one platform (status route and the SSE stream). */
export async function findLatestRun(db: Kysely<Database>, userId: string, platform: Platform): Promise<SyncRunView | undefined> {
  const { rows } = await sql<SyncRunRow>`
    select ${syncRunColumns} from sync_logs
     where user_id = ${userId}::uuid and platform_id = ${PLATFORM_IDS[platform]}::smallint
     order by created_at desc, id desc limit 1`.execute(db);
  return rows[0] ? toSyncRunView(rows[0]) : undefined;
}
