import { z } from 'zod';
import type { PlatformRegistry } from '@ach/platform-registry';
import type { SyncRunRow } from '@ach/sync-runs';
import { platformSlugField } from '../platform-param.ts';

/** A sync run as clients see it (status route, history, SSE). */
export const syncRunSchema = z.object({
  syncId: z.uuid(),
  platform: platformSlugField(),
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

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

export function toSyncRunView(row: SyncRunRow, platforms: PlatformRegistry): SyncRunView {
  return {
    syncId: row.id,
    platform: platforms.byId(row.platform_id).slug,
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
