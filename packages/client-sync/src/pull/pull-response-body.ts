import { PULLED_TABLES, type PulledTable } from '../protocol/client-tables.ts';
import type { PulledTableChanges } from '../repository/pull-changes-repository.ts';

/**
 * The `/sync-pull` answer, spliced from the JSON texts Postgres built: re-parsing and re-serialising
 * tens of megabytes in the API would cost more than building them. Every live record goes in
 * `updated` (the app syncs with `sendCreatedAsUpdated: true`): a watermark that errs on the side of
 * resending cannot tell which records a device already holds.
 *
 * Encoded straight into one Buffer of the exact size: joining the pieces into one string first
 * would copy the whole body once more (flattening), and sending that string would encode it again.
 */
export function pullResponseBytes(timestamp: number, tables: Record<PulledTable, PulledTableChanges>): Buffer {
  const pieces: string[] = ['{"changes":{'];
  PULLED_TABLES.forEach((t, i) => {
    pieces.push(`${i === 0 ? '' : ','}"${t}":{"created":[],"updated":`, tables[t].updated, ',"deleted":', tables[t].deleted, '}');
  });
  pieces.push(`},"timestamp":${timestamp}}`);
  let size = 0;
  for (const piece of pieces) size += Buffer.byteLength(piece, 'utf8');
  const body = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const piece of pieces) offset += body.write(piece, offset, 'utf8');
  return body;
}

/** The same answer as text (tests and tools; the route sends the bytes). */
export function pullResponseBody(timestamp: number, tables: Record<PulledTable, PulledTableChanges>): string {
  return pullResponseBytes(timestamp, tables).toString('utf8');
}
