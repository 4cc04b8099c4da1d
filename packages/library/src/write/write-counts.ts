/** Rows a write actually changed: an upsert whose `IS DISTINCT FROM` guard held counts as neither. */
export interface TableCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

export type WrittenTable = 'games' | 'achievements' | 'user_achievements' | 'user_progress';

export type WriteCounts = Record<WrittenTable, TableCounts> & {
  /** Unlocks naming an achievement the stored schema does not have (kept out: they would break the FK). */
  unlocksSkipped: number;
};

export function emptyWriteCounts(): WriteCounts {
  const zero = (): TableCounts => ({ inserted: 0, updated: 0, deleted: 0 });
  return { games: zero(), achievements: zero(), user_achievements: zero(), user_progress: zero(), unlocksSkipped: 0 };
}

export function addWriteCounts(into: WriteCounts, add: WriteCounts): void {
  for (const table of ['games', 'achievements', 'user_achievements', 'user_progress'] as const) {
    into[table].inserted += add[table].inserted;
    into[table].updated += add[table].updated;
    into[table].deleted += add[table].deleted;
  }
  into.unlocksSkipped += add.unlocksSkipped;
}

export function rowsWritten(counts: WriteCounts): number {
  let total = 0;
  for (const table of ['games', 'achievements', 'user_achievements', 'user_progress'] as const) {
    total += counts[table].inserted + counts[table].updated + counts[table].deleted;
  }
  return total;
}
