import type { Kysely } from 'kysely';
import type { Database, Platform } from '@ach/db';
import type { PlatformRegistry } from '@ach/platform-registry';
import { createSyncRunRepository } from '@ach/sync-runs';
import { toSyncRunView, type SyncRunView } from './sync-run-view.ts';

/** A user's newest run on one platform as clients see it (status route and the SSE stream). */
export async function findLatestRun(
  deps: { db: Kysely<Database>; platforms: PlatformRegistry },
  userId: string,
  platform: Platform,
): Promise<SyncRunView | undefined> {
  const row = await createSyncRunRepository({ db: deps.db }).latest(userId, deps.platforms.bySlug(platform).id);
  return row ? toSyncRunView(row, deps.platforms) : undefined;
}
