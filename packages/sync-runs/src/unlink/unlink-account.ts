import type { Kysely } from 'kysely';
import { createPlatformAccountRepository } from '@ach/accounts';
import type { Database, PlatformId } from '@ach/db';
import { createSyncRunRepository } from '../repository/sync-run-repository.ts';

/**
 * Deletes a link with its stored credentials and cancels its queued run (`account_unlinked`), one
 * transaction; false when there was no link. A running run finishes or fails by itself.
 */
export async function unlinkAccount(db: Kysely<Database>, userId: string, platformId: PlatformId): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    if (!(await createPlatformAccountRepository(tx).remove(userId, platformId))) return false;
    await createSyncRunRepository({ db: tx }).cancelQueuedOfUnlinked(userId, platformId);
    return true;
  });
}
