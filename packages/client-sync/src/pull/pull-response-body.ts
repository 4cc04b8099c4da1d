import { PULLED_TABLES, type PulledTable } from '../protocol/client-tables.ts';
import type { PulledTableChanges } from '../repository/pull-changes-repository.ts';

/**
 * The `/sync-pull` answer, spliced from the JSON texts Postgres built: re-parsing and re-serialising
 * tens of megabytes in the API would cost more than building them. Every live record goes in
 * `updated` (the app syncs with `sendCreatedAsUpdated: true`): a watermark that errs on the side of
 * resending cannot tell which records a device already holds.
 */
export function pullResponseBody(timestamp: number, tables: Record<PulledTable, PulledTableChanges>): string {
  const parts = PULLED_TABLES.map((t) => `"${t}":{"created":[],"updated":${tables[t].updated},"deleted":${tables[t].deleted}}`);
  return `{"changes":{${parts.join(',')}},"timestamp":${timestamp}}`;
}
