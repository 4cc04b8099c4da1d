import { z } from 'zod';
import type { LinkedAccountRow } from '@ach/accounts';
import type { PlatformRegistry } from '@ach/platform-registry';
import { platformSlugField } from '../../platform-param.ts';

/** A linked account as the app sees it: ids, names, sync state — never a credential. */
export const accountSchema = z.object({
  platform: platformSlugField(),
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
  relinkBy: z.iso
    .datetime({ offset: true })
    .nullable()
    .describe('When the stored refresh token expires and the link stops syncing (PSN: about 60 days after linking) — warn the user to link again before it; null when the platform gives no expiry (Steam, Xbox)'),
  linkedAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type AccountView = z.infer<typeof accountSchema>;

export function toAccountView(row: LinkedAccountRow, platforms: PlatformRegistry): AccountView {
  return {
    platform: platforms.byId(row.platform_id).slug,
    externalAccountId: row.external_account_id,
    verified: row.verified,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    syncStatus: row.sync_status,
    syncProgress: row.sync_progress,
    lastSyncedAt: row.last_synced_at?.toISOString() ?? null,
    lastErrorCode: row.last_error_code,
    needsAttention: row.needs_attention,
    relinkBy: row.refresh_expires_at?.toISOString() ?? null,
    linkedAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
