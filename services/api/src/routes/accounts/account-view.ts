import { sql } from 'kysely';
import { z } from 'zod';
import { PLATFORM_BY_ID, PLATFORMS, type PlatformId } from '@ach/db';

/** A linked account as the app sees it: ids, names, sync state — never a credential. */
export const accountSchema = z.object({
  platform: z.enum(PLATFORMS),
  externalAccountId: z.string(),
  /** The link proved the user owns the account (Steam sign-in, PSN / Xbox tokens); a Steam id typed in is `false`. */
  verified: z.boolean(),
  displayName: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  syncStatus: z.enum(['idle', 'queued', 'running', 'succeeded', 'failed', 'cancelled']),
  syncProgress: z.number().int(),
  lastSyncedAt: z.iso.datetime({ offset: true }).nullable(),
  lastErrorCode: z.string().nullable(),
  needsAttention: z.boolean(),
  linkedAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type AccountView = z.infer<typeof accountSchema>;

export interface AccountRow {
  platform_id: PlatformId;
  external_account_id: string;
  verified: boolean;
  display_name: string | null;
  avatar_url: string | null;
  sync_status: AccountView['syncStatus'];
  sync_progress: number;
  last_synced_at: Date | null;
  last_error_code: string | null;
  needs_attention: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Selected explicitly so a credential column can never ride along; one select/returning fragment. */
export const accountColumns = sql.join(
  [
    'platform_id', 'external_account_id', 'verified', 'display_name', 'avatar_url', 'sync_status', 'sync_progress',
    'last_synced_at', 'last_error_code', 'needs_attention', 'created_at', 'updated_at',
  ].map((c) => sql.ref(c)),
);

export function toAccountView(row: AccountRow): AccountView {
  return {
    platform: PLATFORM_BY_ID[row.platform_id],
    externalAccountId: row.external_account_id,
    verified: row.verified,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    syncStatus: row.sync_status,
    syncProgress: row.sync_progress,
    lastSyncedAt: row.last_synced_at?.toISOString() ?? null,
    lastErrorCode: row.last_error_code,
    needsAttention: row.needs_attention,
    linkedAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
