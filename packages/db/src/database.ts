import type { ColumnType, Generated } from 'kysely';

/** Rows come back as Date; writes accept a Date or an ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
export type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
export type Json = ColumnType<JsonValue, JsonValue | string, JsonValue | string>;
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A `platforms.id` (smallint); which platforms exist is the platform registry's business (@ach/platform-registry). */
export type PlatformId = number;
export type SyncMode = 'incremental' | 'full';
export type SyncStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type AccountSyncStatus = 'idle' | SyncStatus;

export interface AuthUsersTable {
  id: Generated<string>;
  email: string | null;
  email_confirmed_at: Timestamp | null;
  phone: string | null;
  raw_user_meta_data: ColumnType<JsonValue, JsonValue | string | undefined, JsonValue | string>;
  raw_app_meta_data: ColumnType<JsonValue, JsonValue | string | undefined, JsonValue | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Timestamp | null;
}

export interface PlatformsTable {
  id: PlatformId;
  code: string;
  name: string;
}

export interface UsersTable {
  id: string;
  email: string | null;
  email_verified: Generated<boolean>;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface PlatformAccountsTable {
  user_id: string;
  platform_id: PlatformId;
  /** PSN accountId, Xbox xuid, SteamID64: text, as the platform spells it (PSN's does not fit a JS number). */
  external_account_id: string;
  /** PSN onlineId, Xbox gamertag, Steam persona name. */
  display_name: string | null;
  avatar_url: string | null;
  credentials_ciphertext: string | null;
  credentials_key_id: string | null;
  token_expires_at: Timestamp | null;
  refresh_expires_at: Timestamp | null;
  sync_status: Generated<AccountSyncStatus>;
  sync_progress: Generated<number>;
  last_sync_id: string | null;
  last_synced_at: Timestamp | null;
  last_error_code: string | null;
  /** Set when the platform rejected the stored credential, the profile went private, or another user proved ownership. */
  needs_attention: Generated<boolean>;
  /**
   * The link proved the user owns the account (Steam OpenID sign-in; PSN / Xbox tokens). At most one
   * user holds a verified link of an account (`platform_accounts_verified_external_key`).
   */
  verified: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface GamesTable {
  platform_id: PlatformId;
  platform_game_id: string;
  name: string;
  icon_url: string | null;
  achievements_total: Generated<number>;
  platform_specific_data: Generated<Json>;
  /** When the game's achievement schema and rarity were last fetched: the shared metadata cache. */
  metadata_fetched_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface AchievementsTable {
  platform_id: PlatformId;
  platform_game_id: string;
  platform_achievement_id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  icon_locked_url: string | null;
  hidden: Generated<boolean>;
  /** Xbox gamerscore; null where the platform has none. */
  points: number | null;
  /** PSN trophy type (bronze/silver/gold/platinum); null elsewhere. */
  type: string | null;
  rarity_percentage: number | null;
  platform_specific_data: Generated<Json>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface UserProgressTable {
  user_id: string;
  platform_id: PlatformId;
  platform_game_id: string;
  achievements_total: Generated<number>;
  /** Always the count of the user's `user_achievements` rows for the game; written in the same transaction. */
  achievements_earned: Generated<number>;
  points_earned: number | null;
  points_total: number | null;
  completion_percentage: Generated<number>;
  playtime_minutes: number | null;
  last_played_at: Timestamp | null;
  platform_specific_data: Generated<Json>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that created the row (migration 0008): a game new to the user since a client pull. */
  sync_created_xid: Generated<number>;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface UserAchievementsTable {
  user_id: string;
  platform_id: PlatformId;
  platform_game_id: string;
  platform_achievement_id: string;
  earned_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface SyncLogsTable {
  id: Generated<string>;
  user_id: string;
  platform_id: PlatformId;
  mode: SyncMode;
  status: Generated<SyncStatus>;
  progress: Generated<number>;
  stats: Generated<Json>;
  error_code: string | null;
  error_message: string | null;
  attempts: Generated<number>;
  created_at: CreatedAt;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface TrophyHelpRequestsTable {
  id: string;
  profile_id: string;
  platform_id: PlatformId;
  platform_game_id: string;
  platform_achievement_id: string | null;
  message: string | null;
  status: Generated<'open' | 'resolved'>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface FlexRoomDataTable {
  id: string;
  profile_id: string;
  showcase: Generated<Json>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** The transaction that last wrote the row (migration 0008): what client pulls compare with their watermark. */
  sync_xid: Generated<number>;
}

export interface DeletedRecordsTable {
  id: Generated<string>;
  user_id: string;
  table_name: string;
  record_id: string;
  deleted_at: CreatedAt;
  /** The deleting transaction (migration 0008). */
  sync_xid: Generated<number>;
}

/** One row: the largest tombstone stamp ever purged (migration 0008); client watermarks at or below it must reset. */
export interface TombstonePurgeHorizonTable {
  singleton: Generated<boolean>;
  purged_through_xid: Generated<number>;
  purged_at: Timestamp | null;
}

export interface UserSyncMonitoringLogTable {
  id: Generated<string>;
  run_at: CreatedAt;
  check_type: string;
  status: 'healthy' | 'warning' | 'critical';
  checks: Json;
  ghost_users: Generated<number>;
  orphaned_profiles: Generated<number>;
  total_auth_users: Generated<number>;
  total_public_users: Generated<number>;
  duration_ms: number | null;
}

export interface UserSyncFailuresTable {
  id: Generated<string>;
  user_id: string | null;
  operation: string;
  error_code: string | null;
  error_message: string | null;
  context: Generated<Json>;
  occurred_at: CreatedAt;
  resolved_at: Timestamp | null;
}

export interface CleanupAuditLogTable {
  id: Generated<string>;
  action: string;
  affected_count: Generated<number>;
  details: Generated<Json>;
  performed_by: string | null;
  performed_at: CreatedAt;
}

/** What the monitor told operators (alert, recovery, reminder) or held back (suppressed); the shared alert state. */
export interface MonitorAlertLogTable {
  id: Generated<number>;
  sent_at: CreatedAt;
  kind: 'alert' | 'recovery' | 'reminder' | 'suppressed';
  status: 'healthy' | 'warning' | 'critical';
  previous_status: 'healthy' | 'warning' | 'critical' | null;
  monitoring_log_id: number | null;
  summary: string;
  /** Per channel (`webhook`, `email`): `{ ok, attempts, error? }`. */
  deliveries: Generated<Json>;
}

export interface ProfilesView {
  id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  psn_sync_status: AccountSyncStatus | null;
  psn_sync_progress: number | null;
  psn_last_synced_at: Date | null;
  xbox_sync_status: AccountSyncStatus | null;
  xbox_sync_progress: number | null;
  xbox_last_synced_at: Date | null;
  steam_sync_status: AccountSyncStatus | null;
  steam_sync_progress: number | null;
  steam_last_synced_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface Database {
  'auth.users': AuthUsersTable;
  platforms: PlatformsTable;
  users: UsersTable;
  platform_accounts: PlatformAccountsTable;
  games: GamesTable;
  achievements: AchievementsTable;
  user_progress: UserProgressTable;
  user_achievements: UserAchievementsTable;
  sync_logs: SyncLogsTable;
  trophy_help_requests: TrophyHelpRequestsTable;
  flex_room_data: FlexRoomDataTable;
  deleted_records: DeletedRecordsTable;
  tombstone_purge_horizon: TombstonePurgeHorizonTable;
  user_sync_monitoring_log: UserSyncMonitoringLogTable;
  user_sync_failures: UserSyncFailuresTable;
  cleanup_audit_log: CleanupAuditLogTable;
  monitor_alert_log: MonitorAlertLogTable;
  profiles: ProfilesView;
}
