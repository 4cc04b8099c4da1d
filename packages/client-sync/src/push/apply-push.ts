import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import { PushConflictError, SyncResetRequiredError, UsernameTakenError, type ConflictingRecord } from '../protocol/client-sync-errors.ts';
import {
  deleteOwnRecords,
  insertFlexRoom,
  lockFlexRoom,
  lockHelpRequests,
  lockProfile,
  lockUserPushes,
  tombstoneStamps,
  updateFlexRoom,
  updateProfile,
  upsertHelpRequests,
  watermarkBounds,
  writeTombstones,
  type HelpRequestWrite,
  type ProfileWrite,
} from '../repository/push-changes-repository.ts';

export interface FlexRoomWrite {
  id: string;
  /** The `sync_version` the record was pulled with; absent on a record the device created. */
  version?: number | null;
  /** JSON text of an object. */
  showcase: string;
}

export interface TableChanges<Row> {
  created: readonly Row[];
  updated: readonly Row[];
  deleted: readonly string[];
}

/** A validated push: only the writable tables (the caller refused every other one already). */
export interface PushInput {
  userId: string;
  /** The watermark of the pull this push follows; null = never pulled (every existing record conflicts). */
  lastPulledAt: number | null;
  trophyHelpRequests?: TableChanges<HelpRequestWrite>;
  flexRoomData?: TableChanges<FlexRoomWrite>;
  /** The caller's own profile record, updated. */
  profile?: ProfileWrite;
}

export interface PushStats {
  created: number;
  updated: number;
  deleted: number;
  /** Pushed ids the server folded into another record; their deletion reaches the device at its next pull. */
  folded: number;
}

/**
 * Applies a push in ONE transaction, or nothing: a record changed (or deleted) on the server after
 * the client's pull (its stamp ≥ lastPulledAt) fails the whole push with `PushConflictError`.
 *
 * - created that already exists → updated (WatermelonDB resends a push whose answer it lost);
 * - updated that does not exist → conflict (it was deleted, or it is not the caller's: ids are per
 *   user, so another user's id names nothing here and reveals nothing);
 * - deleted that does not exist → nothing to do;
 * - flex_room_data is one row per user: a create under another id (a second device's own flex
 *   room) becomes an update of the user's row (the device's content wins: it did not edit the
 *   user's row, so there is nothing to conflict with), and that id gets a tombstone, so the
 *   device's next pull replaces its record with the user's one.
 */
export async function applyPush(db: Kysely<Database>, input: PushInput): Promise<PushStats> {
  const { userId } = input;
  const watermark = input.lastPulledAt ?? 0;
  const stats: PushStats = { created: 0, updated: 0, deleted: 0, folded: 0 };
  try {
    await db.transaction().execute(async (trx) => {
      await lockUserPushes(trx, userId);
      if (watermark > 0) {
        const bounds = await watermarkBounds(trx);
        if (watermark <= bounds.purgedThrough) throw new SyncResetRequiredError('tombstones_purged');
        if (watermark > bounds.xmax) throw new SyncResetRequiredError('unknown_watermark');
      }
      const conflicts: ConflictingRecord[] = [];
      // With the version the device pulled: changed iff the row's stamp moved. Without one (a record
      // created on the device, a deletion): any stamp at or after the watermark counts, which may
      // also refuse a row written by a transaction still running at the pull (retrying converges).
      const changedSincePull = (stamp: number, version?: number | null) => (version ? stamp !== version : stamp >= watermark);

      // Lock what the push touches, then judge it, then write: rows changed meanwhile are seen.
      const help = input.trophyHelpRequests;
      const helpWrites = help ? [...help.created, ...help.updated] : [];
      const helpLocked = help ? await lockHelpRequests(trx, userId, [...helpWrites.map((r) => r.id), ...help.deleted]) : new Map<string, number>();
      const helpGone = help ? await tombstoneStamps(trx, userId, 'trophy_help_requests', helpWrites.map((r) => r.id).filter((id) => !helpLocked.has(id))) : new Map<string, number>();
      if (help) {
        const table = 'trophy_help_requests';
        for (const record of help.created) {
          const live = helpLocked.get(record.id);
          const gone = helpGone.get(record.id);
          // A resent create (its answer was lost) updates; one another device deleted meanwhile conflicts.
          if (live !== undefined && changedSincePull(live, record.version)) conflicts.push({ table, id: record.id, reason: 'changed' });
          if (live === undefined && gone !== undefined && (record.version || gone >= watermark)) conflicts.push({ table, id: record.id, reason: 'deleted' });
        }
        for (const record of help.updated) {
          const live = helpLocked.get(record.id);
          if (live === undefined) conflicts.push({ table, id: record.id, reason: helpGone.has(record.id) ? 'deleted' : 'unknown' });
          else if (changedSincePull(live, record.version)) conflicts.push({ table, id: record.id, reason: 'changed' });
        }
        for (const id of help.deleted) {
          const live = helpLocked.get(id);
          if (live !== undefined && changedSincePull(live)) conflicts.push({ table, id, reason: 'changed' });
        }
      }

      const flex = input.flexRoomData;
      const flexRow = flex ? await lockFlexRoom(trx, userId) : undefined;
      const flexPlan = flex ? planFlexRoom(flex, flexRow) : undefined;
      if (flex && flexPlan) {
        const table = 'flex_room_data';
        const others = [...flex.created, ...flex.updated].map((r) => r.id).filter((id) => id !== flexRow?.id);
        const gone = await tombstoneStamps(trx, userId, table, others);
        if (flexRow) {
          for (const record of [...flex.created, ...flex.updated]) {
            if (record.id === flexRow.id && changedSincePull(flexRow.stamp, record.version)) conflicts.push({ table, id: record.id, reason: 'changed' });
          }
          if (flexPlan.deleteExisting && changedSincePull(flexRow.stamp)) conflicts.push({ table, id: flexRow.id, reason: 'changed' });
        }
        // A create of an id another device deleted after this pull: the deletion comes first.
        for (const record of flex.created) {
          const stamp = record.id === flexRow?.id ? undefined : gone.get(record.id);
          if (stamp !== undefined && (record.version || stamp >= watermark)) conflicts.push({ table, id: record.id, reason: 'deleted' });
        }
        // An update of an id that is not the user's row: deleted on the server (or never theirs).
        for (const record of flex.updated) {
          if (record.id !== flexRow?.id) conflicts.push({ table, id: record.id, reason: gone.has(record.id) ? 'deleted' : 'unknown' });
        }
      }

      if (input.profile) {
        const stamp = await lockProfile(trx, userId);
        if (stamp === undefined) conflicts.push({ table: 'user_profile', id: userId, reason: 'unknown' });
        else if (changedSincePull(stamp, input.profile.version)) conflicts.push({ table: 'user_profile', id: userId, reason: 'changed' });
      }

      if (conflicts.length > 0) throw new PushConflictError(conflicts);

      if (help) {
        const written = await upsertHelpRequests(trx, userId, helpWrites);
        stats.created += written.inserted;
        stats.updated += written.updated;
        stats.deleted += await deleteOwnRecords(trx, userId, 'trophy_help_requests', help.deleted);
      }
      if (flexPlan) {
        if (flexPlan.deleteExisting && flexRow) stats.deleted += await deleteOwnRecords(trx, userId, 'flex_room_data', [flexRow.id]);
        if (flexPlan.write) {
          if (flexPlan.write.insert) {
            await insertFlexRoom(trx, userId, flexPlan.write.id, flexPlan.write.showcase);
            stats.created += 1;
          } else if (await updateFlexRoom(trx, userId, flexPlan.write.id, flexPlan.write.showcase)) {
            stats.updated += 1;
          }
        }
        await writeTombstones(trx, userId, 'flex_room_data', flexPlan.folded);
        stats.folded += flexPlan.folded.length;
      }
      if (input.profile) {
        if (await updateProfile(trx, userId, input.profile)) stats.updated += 1;
      }
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_username_key')) throw new UsernameTakenError();
    throw error;
  }
  return stats;
}

interface FlexPlan {
  deleteExisting: boolean;
  write?: { id: string; showcase: string; insert: boolean };
  /** Pushed ids folded into the user's one row. */
  folded: string[];
}

/** One row per user: the pushed records (the last one's showcase wins) collapse onto it. */
function planFlexRoom(flex: TableChanges<FlexRoomWrite>, existing: { id: string } | undefined): FlexPlan {
  const deleteExisting = existing !== undefined && flex.deleted.includes(existing.id);
  const survivor = deleteExisting ? undefined : existing;
  // Updates of ids other than the user's row are conflicts (judged by the caller); creates fold.
  const writes = [...flex.created, ...flex.updated.filter((r) => r.id === existing?.id)];
  const last = writes.at(-1);
  if (!last) return { deleteExisting, folded: [] };
  const id = survivor?.id ?? last.id;
  const folded = [...new Set(writes.map((r) => r.id).filter((other) => other !== id))];
  return { deleteExisting, write: { id, showcase: last.showcase, insert: survivor === undefined }, folded };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string } | undefined;
  return e?.code === '23505' && e.constraint === constraint;
}
