import { z } from 'zod';
import { PULLED_TABLES, type PulledTable } from '@ach/client-sync';
import type { PlatformRegistry } from '@ach/platform-registry';

/**
 * The WatermelonDB sync bodies (see docs/client-sync.md). Records are the app's raw records: snake
 * case columns, ids as strings, times as milliseconds since the epoch, jsonb columns as JSON text.
 */

const ms = z.number().int().describe('milliseconds since the epoch');
const msOrNull = ms.nullable();
const jsonText = z.string().describe('JSON text (a WatermelonDB `@json` column)');

/** A record's version as pulled (its server stamp); sent back with a push, it decides conflicts exactly. */
const syncVersion = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('The record\'s server version; send it back unchanged with a push');
const pushedVersion = syncVersion.nullable().optional();

/** A client-generated id (WatermelonDB's are 16 alphanumerics; UUIDs fit too). */
export const clientId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, _ . -');

// ---- pull ------------------------------------------------------------------------------------

const migrationSchema = z.object({
  from: z.number().int().min(0).max(1_000_000),
  tables: z.array(z.string().max(64)).max(100),
  columns: z.array(z.object({ table: z.string().max(64), columns: z.array(z.string().max(64)).max(500) })).max(100),
}).describe('WatermelonDB migration sync: tables (or columns of tables) the app\'s schema gained since `from`; they are sent in full');

export const pullBodySchema = z.object({
  lastPulledAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional()
    .describe('The `timestamp` of the previous pull, as returned; null (or absent) for a first pull'),
  schemaVersion: z.number().int().min(1).max(1_000_000),
  migration: migrationSchema.nullable().optional(),
});

const pulled = <Record extends z.ZodType>(record: Record) =>
  z.object({
    created: z.array(record).describe('Always empty: every live record is in `updated` (sync with `sendCreatedAsUpdated: true`)'),
    updated: z.array(record),
    deleted: z.array(z.string()).describe('Ids of records to delete'),
  });

const userProfileRecord = z.object({
  id: z.uuid(), email: z.string().nullable(), email_verified: z.boolean(), username: z.string(),
  display_name: z.string().nullable(), avatar_url: z.string().nullable(), sync_version: syncVersion, created_at: ms, updated_at: ms,
});
const platformAccountRecord = z.object({
  id: z.string().describe('`{platform_id}`'), platform_id: z.number().int(), external_account_id: z.string(),
  display_name: z.string().nullable(), avatar_url: z.string().nullable(), verified: z.boolean(), sync_status: z.string(),
  sync_progress: z.number().int(), last_sync_id: z.string().nullable(), last_synced_at: msOrNull, last_error_code: z.string().nullable(),
  needs_attention: z.boolean(), token_expires_at: msOrNull, refresh_expires_at: msOrNull, created_at: ms, updated_at: ms,
});
const gameRecord = z.object({
  id: z.string().describe('`{platform_id}:{platform_game_id}`'), platform_id: z.number().int(), platform_game_id: z.string(), name: z.string(),
  icon_url: z.string().nullable(), achievements_total: z.number().int(), platform_specific_data: jsonText, created_at: ms, updated_at: ms,
});
const achievementRecord = z.object({
  id: z.string().describe('`{platform_id}:{platform_game_id}:{platform_achievement_id}`'), game_id: z.string().describe('The `games` record'),
  platform_achievement_id: z.string(), name: z.string(),
  description: z.string().nullable().describe('null for a hidden achievement the caller has not earned'),
  icon_url: z.string().nullable(), icon_locked_url: z.string().nullable(), hidden: z.boolean(), points: z.number().int().nullable(),
  type: z.string().nullable(), rarity_percentage: z.number().nullable(), platform_specific_data: jsonText, created_at: ms, updated_at: ms,
});
const userProgressRecord = z.object({
  id: z.string().describe('`{platform_id}:{platform_game_id}`'), game_id: z.string(), platform_id: z.number().int(), platform_game_id: z.string(),
  achievements_total: z.number().int(), achievements_earned: z.number().int(), points_earned: z.number().int().nullable(),
  points_total: z.number().int().nullable(), completion_percentage: z.number(), playtime_minutes: z.number().int().nullable(),
  last_played_at: msOrNull, platform_specific_data: jsonText, created_at: ms, updated_at: ms,
});
const userAchievementRecord = z.object({
  id: z.string().describe('`{platform_id}:{platform_game_id}:{platform_achievement_id}`'), achievement_id: z.string(), game_id: z.string(),
  platform_achievement_id: z.string(), earned_at: msOrNull, created_at: ms, updated_at: ms,
});
const syncLogRecord = z.object({
  id: z.uuid(), platform_id: z.number().int(), mode: z.string(), status: z.string(), progress: z.number().int(), stats: jsonText,
  error_code: z.string().nullable(), error_message: z.string().nullable(), created_at: ms, started_at: msOrNull, finished_at: msOrNull, updated_at: ms,
});
const helpRequestRecord = z.object({
  id: z.string(), profile_id: z.uuid(), platform_id: z.number().int(), platform_game_id: z.string(), platform_achievement_id: z.string().nullable(),
  message: z.string().nullable(), status: z.enum(['open', 'resolved']), sync_version: syncVersion, created_at: ms, updated_at: ms,
});
const flexRoomRecord = z.object({ id: z.string(), profile_id: z.uuid(), showcase: jsonText, sync_version: syncVersion, created_at: ms, updated_at: ms });

const PULLED_RECORDS: Record<PulledTable, z.ZodType> = {
  user_profile: userProfileRecord,
  platform_accounts: platformAccountRecord,
  games: gameRecord,
  achievements: achievementRecord,
  user_progress: userProgressRecord,
  user_achievements: userAchievementRecord,
  sync_logs: syncLogRecord,
  trophy_help_requests: helpRequestRecord,
  flex_room_data: flexRoomRecord,
};

/** Documents the answer (it is spliced from Postgres' JSON, not serialized through this schema). */
export const pullResponseSchema = z.object({
  changes: z.object(Object.fromEntries(PULLED_TABLES.map((t) => [t, pulled(PULLED_RECORDS[t])])) as Record<PulledTable, ReturnType<typeof pulled>>),
  timestamp: z.number().int().min(1).describe('The sync watermark: send it back as the next `lastPulledAt` (and as the push\'s `lastPulledAt`)'),
});

// ---- push ------------------------------------------------------------------------------------

/** WatermelonDB sends '' for an empty optional text column on some schemas: stored as null. */
const optionalText = (max: number) => z.string().max(max).nullable().optional().transform((v) => (v === '' || v === undefined ? null : v));

const helpRequestPush = (platforms: PlatformRegistry) =>
  z.looseObject({
    id: clientId,
    sync_version: pushedVersion,
    platform_id: z.number().int().refine((id) => platforms.ids.includes(id), { message: `must be one of ${platforms.ids.join(', ')}` }),
    platform_game_id: z.string().min(1).max(256),
    platform_achievement_id: optionalText(256),
    message: optionalText(4000),
    status: z.enum(['open', 'resolved']).default('open'),
  });

const MAX_SHOWCASE_CHARS = 64 * 1024;
const flexRoomPush = z.looseObject({
  id: clientId,
  sync_version: pushedVersion,
  showcase: z
    .union([z.string().max(MAX_SHOWCASE_CHARS), z.record(z.string(), z.unknown())])
    .transform((value, ctx) => {
      const text = typeof value === 'string' ? (value === '' ? '{}' : value) : JSON.stringify(value);
      if (text.length > MAX_SHOWCASE_CHARS) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_SHOWCASE_CHARS} characters of JSON` });
        return z.NEVER;
      }
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return text;
      } catch {
        // falls through to the issue below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object (or its JSON text)' });
      return z.NEVER;
    })
    .describe('JSON object, or its JSON text'),
});

const httpUrl = z.string().max(2048).refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, { message: 'must be an http(s) URL' });

const profilePush = z.looseObject({
  id: z.uuid(),
  sync_version: pushedVersion,
  username: z.string().regex(/^[a-z0-9_]{3,30}$/, 'must be 3–30 of a–z, 0–9, _').optional(),
  display_name: z.string().max(100).nullable().optional().transform((v) => (v === '' ? null : v)),
  avatar_url: z.union([z.literal(''), httpUrl]).nullable().optional().transform((v) => (v === '' ? null : v)),
});

const MAX_RECORDS = 1_000;
const pushTable = <Record extends z.ZodType>(record: Record, deletedId: z.ZodType<string> = clientId) =>
  z.object({
    created: z.array(record).max(MAX_RECORDS).default([]),
    updated: z.array(record).max(MAX_RECORDS).default([]),
    deleted: z.array(deletedId).max(MAX_RECORDS).default([]),
  }).superRefine((changes, ctx) => {
    // One record once per push: WatermelonDB never does otherwise, and a second mention would be ambiguous.
    const seen = new Set<string>();
    const ids = [
      ...(changes.created as { id: string }[]).map((r) => r.id),
      ...(changes.updated as { id: string }[]).map((r) => r.id),
      ...changes.deleted,
    ];
    for (const id of ids) {
      if (seen.has(id)) {
        ctx.addIssue({ code: 'custom', message: `record ${id.slice(0, 64)} appears more than once` });
        return;
      }
      seen.add(id);
    }
  });

/** Read-only tables are accepted loosely here and refused as a whole (403) by the route. */
const readOnlyTable = z.object({
  created: z.array(z.looseObject({})).max(MAX_RECORDS).default([]),
  updated: z.array(z.looseObject({})).max(MAX_RECORDS).default([]),
  deleted: z.array(z.string().max(512)).max(MAX_RECORDS).default([]),
});

export const pushBodySchemaFor = (platforms: PlatformRegistry) =>
  z.object({
    changes: z
      .object({
        trophy_help_requests: pushTable(helpRequestPush(platforms)).optional(),
        flex_room_data: pushTable(flexRoomPush).optional(),
        user_profile: pushTable(profilePush, z.string().max(64)).optional(),
      })
      .catchall(readOnlyTable)
      .describe('Per table, as WatermelonDB sends them; only `trophy_help_requests`, `flex_room_data` and `user_profile` (updated, own row: `username`, `display_name`, `avatar_url`) are writable'),
    lastPulledAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable()
      .describe('The `timestamp` of the pull this push follows'),
  });

export type PushBody = z.output<ReturnType<typeof pushBodySchemaFor>>;

export const pushResponseSchema = z.object({
  success: z.literal(true),
  stats: z.object({
    created: z.number().int(),
    updated: z.number().int(),
    deleted: z.number().int(),
  }),
});
