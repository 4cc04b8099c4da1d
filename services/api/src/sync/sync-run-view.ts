import { z } from 'zod';
import { PLATFORM_BY_ID, PLATFORMS, type PlatformId } from '@ach/db';

/** A sync run as clients see it (status route, history, SSE). */
export const syncRunSchema = z.object({
  syncId: z.uuid(),
  platform: z.enum(PLATFORMS),
  mode: z.enum(['incremental', 'full']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  progress: z.number().int().min(0).max(100),
  stats: z.record(z.string(), z.unknown()),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  startedAt: z.iso.datetime({ offset: true }).nullable(),
  finishedAt: z.iso.datetime({ offset: true }).nullable(),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type SyncRunView = z.infer<typeof syncRunSchema>;

export interface SyncRunRow {
  id: string;
  platform_id: PlatformId;
  mode: 'incremental' | 'full';
  status: SyncRunView['status'];
  progress: number;
  stats: unknown;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export const SYNC_RUN_COLUMNS = ['id', 'platform_id', 'mode', 'status', 'progress', 'stats', 'error_code', 'error_message', 'created_at', 'started_at', 'finished_at', 'updated_at'] as const;

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

export function toSyncRunView(row: SyncRunRow): SyncRunView {
  return {
    syncId: row.id,
    platform: PLATFORM_BY_ID[row.platform_id],
    mode: row.mode,
    status: row.status,
    progress: row.progress,
    stats: row.stats && typeof row.stats === 'object' && !Array.isArray(row.stats) ? (row.stats as Record<string, unknown>) : {},
    errorCode: row.error_code,
    errorMessage: row.error_message,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
  };
}
