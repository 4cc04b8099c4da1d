import { z } from 'zod';
import { xboxInstantSchema, xuidSchema } from './xbox-auth-schemas.ts';

/** An unearned v2 achievement's `timeUnlocked` is `0001-01-01T00:00:00.0000000Z`: a sentinel, not a date. */
export const isXboxLockedTime = (value: string | null | undefined): boolean => !value || value.startsWith('0001-01-01');

/** Treat the token as opaque: v1 history tokens are composite (`"32,2018-03-28T01:28:51.8070000Z"`). */
export const xboxPagingInfoSchema = z.object({
  continuationToken: z.string().nullable(),
  totalRecords: z.number().int().nonnegative(),
});

/** Decimal string on the wire, as Xbox sends gamerscore rewards and requirement values. */
const decimalStringSchema = z.string().regex(/^-?\d+(\.\d+)?$/);

/**
 * A modern achievement (`x-xbl-contract-version: 2`) of `GET /users/xuid({xuid})/achievements?titleId=…`
 * (fixtures xbox/achievements-v2-page1.json, xbox/achievement-detail-v2.json): `id` is a string, gamerscore a
 * string inside `rewards`, requirement `current` null when not started. `serviceConfigId` is not always a
 * valid UUID (a recorded one has a 5-hex group), so it is plain text.
 */
export const xboxAchievementV2Schema = z.object({
  id: z.string().min(1),
  serviceConfigId: z.string(),
  name: z.string(),
  titleAssociations: z.array(z.object({ name: z.string(), id: z.number().int() })),
  progressState: z.enum(['Achieved', 'InProgress', 'NotStarted', 'Unknown']),
  progression: z.object({
    requirements: z
      .array(
        z
          .object({
            id: z.string(),
            current: z.string().nullable(),
            target: z.string(),
            operationType: z.string().optional(),
            valueType: z.string().optional(),
            ruleParticipationType: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
    timeUnlocked: xboxInstantSchema,
  }),
  mediaAssets: z.array(z.object({ name: z.string(), type: z.string(), url: z.string() })).default([]),
  platforms: z.array(z.string()).default([]),
  isSecret: z.boolean(),
  description: z.string(),
  lockedDescription: z.string(),
  productId: z.string().optional(),
  achievementType: z.string(),
  participationType: z.string().optional(),
  timeWindow: z.object({ startDate: z.string(), endDate: z.string() }).loose().nullable().optional(),
  rewards: z
    .array(
      z.object({
        name: z.string().nullable().optional(),
        description: z.string().nullable().optional(),
        value: z.string(),
        type: z.string(),
        mediaAsset: z.unknown().nullable().optional(),
        valueType: z.string(),
      }),
    )
    .default([]),
  estimatedTime: z.string().optional(),
  deeplink: z.string().nullable().optional(),
  isRevoked: z.boolean().optional(),
  /** Contract 4 only (not recorded here): `{currentCategory, currentPercentage}`. */
  rarity: z.object({ currentCategory: z.string(), currentPercentage: z.number() }).loose().optional(),
});
export type XboxAchievementV2 = z.infer<typeof xboxAchievementV2Schema>;

export const xboxAchievementsV2PageSchema = z.object({
  achievements: z.array(xboxAchievementV2Schema),
  pagingInfo: xboxPagingInfoSchema,
});
export type XboxAchievementsV2Page = z.infer<typeof xboxAchievementsV2PageSchema>;

/** Gamerscore of a v2 achievement (the `Gamerscore` reward's string value), 0 when it has none. */
export function xboxAchievementGamerscore(achievement: XboxAchievementV2): number {
  const reward = achievement.rewards.find((r) => r.type === 'Gamerscore');
  return reward && decimalStringSchema.safeParse(reward.value).success ? Number(reward.value) : 0;
}

/**
 * An Xbox 360 achievement (contract 1, fixtures xbox/achievements-v1-x360-earned.json and
 * xbox/title-achievements-v1-x360-all.json): numbers for `id`/`titleId`/`gamerscore`, `unlocked` a bool.
 * `/titleachievements` says `unlocked: false` on every row: earned state comes from `/achievements` only.
 */
export const xboxAchievementV1Schema = z.object({
  id: z.number().int(),
  titleId: z.number().int(),
  name: z.string(),
  sequence: z.number().int().optional(),
  flags: z.number().int().optional(),
  unlockedOnline: z.boolean().optional(),
  unlocked: z.boolean(),
  isSecret: z.boolean(),
  platform: z.number().int().optional(),
  gamerscore: z.number().int().nonnegative(),
  imageId: z.number().int().optional(),
  description: z.string(),
  lockedDescription: z.string(),
  type: z.number().int().optional(),
  isRevoked: z.boolean().optional(),
  timeUnlocked: xboxInstantSchema,
  /** Contract 3 only (the 360 view with rarity; not recorded here). */
  rarity: z.object({ currentCategory: z.string(), currentPercentage: z.number() }).loose().optional(),
});
export type XboxAchievementV1 = z.infer<typeof xboxAchievementV1Schema>;

export const xboxAchievementsV1PageSchema = z.object({
  achievements: z.array(xboxAchievementV1Schema),
  pagingInfo: xboxPagingInfoSchema,
  version: z.string().optional(),
});
export type XboxAchievementsV1Page = z.infer<typeof xboxAchievementsV1PageSchema>;

/** `GET /users/xuid({xuid})/history/titles`, contract 2: `titleId` is a NUMBER here (a string on titlehub). */
export const xboxHistoryTitleV2Schema = z.object({
  lastUnlock: xboxInstantSchema,
  titleId: z.number().int(),
  serviceConfigId: z.string(),
  titleType: z.string(),
  platform: z.string(),
  name: z.string(),
  earnedAchievements: z.number().int().nonnegative(),
  currentGamerscore: z.number().int().nonnegative(),
  maxGamerscore: z.number().int().nonnegative(),
});
export type XboxHistoryTitleV2 = z.infer<typeof xboxHistoryTitleV2Schema>;

export const xboxHistoryTitlesV2Schema = z.object({
  titles: z.array(xboxHistoryTitleV2Schema),
  pagingInfo: xboxPagingInfoSchema,
});

/** Same path, contract 1 (360-era view): numeric title types and platforms, a top-level `version`. */
export const xboxHistoryTitlesV1Schema = z.object({
  titles: z.array(
    z.object({
      lastPlayed: xboxInstantSchema,
      currentAchievements: z.number().int().nonnegative(),
      currentGamerscore: z.number().int().nonnegative(),
      sequence: z.number().int().optional(),
      titleId: z.number().int(),
      titleType: z.number().int(),
      platforms: z.array(z.number().int()),
      name: z.string(),
      totalAchievements: z.number().int().nonnegative(),
      totalGamerscore: z.number().int().nonnegative(),
    }),
  ),
  pagingInfo: xboxPagingInfoSchema,
  version: z.string().optional(),
});

/**
 * A titlehub title (`/titles/titlehistory/decoration/…` and `/titles/titleid(…)/decoration/…`): `titleId` a
 * string; `achievement.totalAchievements` can be 0 while `currentAchievements` is 22 — do not trust it.
 */
export const xboxTitlehubTitleSchema = z
  .object({
    titleId: z.string().regex(/^\d+$/),
    name: z.string(),
    type: z.string(),
    devices: z.array(z.string()).default([]),
    displayImage: z.string().nullable().optional(),
    mediaItemType: z.string().optional(),
    modernTitleId: z.string().nullable().optional(),
    isBundle: z.boolean().optional(),
    serviceConfigId: z.string().nullable().optional(),
    pfn: z.string().nullable().optional(),
    achievement: z
      .object({
        currentAchievements: z.number().int().nonnegative(),
        totalAchievements: z.number().int().nonnegative(),
        currentGamerscore: z.number().int().nonnegative(),
        totalGamerscore: z.number().int().nonnegative(),
        progressPercentage: z.number(),
        sourceVersion: z.number().int().optional(),
      })
      .nullable()
      .optional(),
    titleHistory: z
      .object({ lastTimePlayed: xboxInstantSchema, visible: z.boolean().optional(), canHide: z.boolean().optional() })
      .nullable()
      .optional(),
    // Every decoration key is present on the wire; an undecorated one is null (titlehub-titleinfo.json).
    images: z.array(z.object({ url: z.string(), type: z.string() }).loose()).nullable().optional(),
    detail: z.object({ description: z.string().nullable().optional(), releaseDate: z.string().nullable().optional() }).loose().nullable().optional(),
  })
  .loose();
export type XboxTitlehubTitle = z.infer<typeof xboxTitlehubTitleSchema>;

/** titlehub answers `{xuid, titles}` with no `pagingInfo` (it honours `maxItems` only). */
export const xboxTitlehubTitlesSchema = z.object({
  xuid: xuidSchema,
  titles: z.array(xboxTitlehubTitleSchema),
});

/**
 * Xbox Live's throttling answer (429, with `Retry-After`), as Microsoft's fine-grained rate limiting
 * documentation gives it: `{"version":1,"currentRequests":13,"maxRequests":10,"periodInSeconds":120,"limitType":"Rate"}`.
 * No recorded body exists; every field is optional so an unexpected one still yields the 429.
 */
export const xboxThrottleSchema = z
  .object({
    version: z.number().optional(),
    currentRequests: z.coerce.number().int().nonnegative().optional(),
    maxRequests: z.coerce.number().int().nonnegative().optional(),
    periodInSeconds: z.coerce.number().positive().optional(),
    limitType: z.string().optional(),
  })
  .loose();
export type XboxThrottle = z.infer<typeof xboxThrottleSchema>;
