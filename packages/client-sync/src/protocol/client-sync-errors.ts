import type { WritableTable } from './client-tables.ts';

/**
 * The client's `lastPulledAt` cannot be continued from: deletions it has not seen may have been
 * purged (`tombstones_purged`), or the value is not a watermark this database issued
 * (`unknown_watermark`: another database, a restore, an older server's millisecond timestamp).
 * The app resets its local database and pulls everything.
 */
export class SyncResetRequiredError extends Error {
  readonly reason: 'tombstones_purged' | 'unknown_watermark';
  constructor(reason: 'tombstones_purged' | 'unknown_watermark') {
    super(reason === 'tombstones_purged'
      ? 'Deletions since lastPulledAt are no longer kept; reset the local database and pull everything'
      : 'lastPulledAt is not a timestamp this server issued; reset the local database and pull everything');
    this.name = 'SyncResetRequiredError';
    this.reason = reason;
  }
}

export interface ConflictingRecord {
  table: WritableTable;
  id: string;
  /** changed or deleted on the server after the client's pull, or not on the server at all */
  reason: 'changed' | 'deleted' | 'unknown';
}

/** Records of the push changed on the server after `lastPulledAt`: nothing was applied. */
export class PushConflictError extends Error {
  readonly records: readonly ConflictingRecord[];
  constructor(records: readonly ConflictingRecord[]) {
    const first = records[0];
    super(first
      ? `${first.table} ${first.id} ${first.reason === 'unknown' ? 'does not exist on the server' : `was ${first.reason} on the server`} after lastPulledAt${records.length > 1 ? ` (and ${records.length - 1} more)` : ''}; pull and push again`
      : 'conflict');
    this.name = 'PushConflictError';
    this.records = records;
  }
}

/** The chosen username belongs to someone else. */
export class UsernameTakenError extends Error {
  constructor() {
    super('This username is taken');
    this.name = 'UsernameTakenError';
  }
}
