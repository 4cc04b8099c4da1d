import { z } from 'zod';
import { psnAccountIdSchema } from './psn-profile-schemas.ts';

const trophyCountsSchema = z.object({
  bronze: z.number().int().nonnegative(),
  silver: z.number().int().nonnegative(),
  gold: z.number().int().nonnegative(),
  platinum: z.number().int().nonnegative(),
});

/** `GET /api/trophy/v1/users/{accountId|me}/trophySummary` (fixture psn/trophy-summary.json). */
export const psnTrophySummarySchema = z.object({
  accountId: psnAccountIdSchema,
  trophyLevel: z.number().int(),
  trophyPoint: z.number().int().optional(),
  trophyLevelBasePoint: z.number().int().optional(),
  trophyLevelNextPoint: z.number().int().optional(),
  progress: z.number().int(),
  tier: z.number().int(),
  earnedTrophies: trophyCountsSchema,
});
export type PsnTrophySummary = z.infer<typeof psnTrophySummarySchema>;

/** `trophy` = PS3/PS4/Vita sets (must be asked for with `?npServiceName=trophy`), `trophy2` = PS5. */
export const psnNpServiceNameSchema = z.enum(['trophy', 'trophy2']);
export const psnTrophyTypeSchema = z.enum(['bronze', 'silver', 'gold', 'platinum']);
/** Trophy endpoints give seconds (`2025-05-14T17:20:54Z`), the game list microseconds. */
const psnInstantSchema = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO-8601 instant');

export const psnTrophyCountsSchema = trophyCountsSchema;

/** One title of `GET /api/trophy/v1/users/{accountId}/trophyTitles` (fixtures psn/trophy-titles-*.json). */
export const psnTrophyTitleSchema = z.object({
  npServiceName: psnNpServiceNameSchema,
  npCommunicationId: z.string().min(1),
  trophySetVersion: z.string().optional(),
  trophyTitleName: z.string(),
  /** Only on `trophy` (PS4-era) sets. */
  trophyTitleDetail: z.string().optional(),
  trophyTitleIconUrl: z.string().optional(),
  /** Can be a comma list: `PS5,PSPC`. */
  trophyTitlePlatform: z.string().optional(),
  hasTrophyGroups: z.boolean(),
  trophyGroupCount: z.number().int().optional(),
  definedTrophies: trophyCountsSchema,
  progress: z.number().int().min(0).max(100),
  earnedTrophies: trophyCountsSchema,
  hiddenFlag: z.boolean().optional(),
  lastUpdatedDateTime: psnInstantSchema,
});
export type PsnTrophyTitle = z.infer<typeof psnTrophyTitleSchema>;

/** Paging fields of the trophy lists (the game list differs: its offsets can be `null`). */
const psnPageFields = {
  nextOffset: z.number().int().optional(),
  previousOffset: z.number().int().optional(),
  totalItemCount: z.number().int().nonnegative(),
};

/**
 * The page: `nextOffset` only when more exist, `previousOffset` = offset − 1 and absent on the first page.
 * Sorted by `lastUpdatedDateTime` descending, which is what makes incremental sync possible.
 */
export const psnTrophyTitlesPageSchema = z.object({
  trophyTitles: z.array(psnTrophyTitleSchema),
  ...psnPageFields,
});
export type PsnTrophyTitlesPage = z.infer<typeof psnTrophyTitlesPageSchema>;

/** A trophy definition: `GET /api/trophy/v1/npCommunicationIds/{id}/trophyGroups/{group}/trophies`. */
export const psnTrophyDefinitionSchema = z.object({
  trophyId: z.number().int().nonnegative(),
  trophyHidden: z.boolean(),
  trophyType: psnTrophyTypeSchema,
  trophyName: z.string().optional(),
  trophyDetail: z.string().optional(),
  trophyIconUrl: z.string().optional(),
  trophyGroupId: z.string().optional(),
  /** PS5 progress trophies. */
  trophyProgressTargetValue: z.string().optional(),
  trophyRewardName: z.string().optional(),
  trophyRewardImageUrl: z.string().optional(),
});
export type PsnTrophyDefinition = z.infer<typeof psnTrophyDefinitionSchema>;

export const psnTitleTrophiesSchema = z.object({
  trophySetVersion: z.string().optional(),
  hasTrophyGroups: z.boolean().optional(),
  trophies: z.array(psnTrophyDefinitionSchema),
  ...psnPageFields,
});
export type PsnTitleTrophies = z.infer<typeof psnTitleTrophiesSchema>;

/**
 * Earned state: `GET /api/trophy/v1/users/{accountId}/npCommunicationIds/{id}/trophyGroups/{group}/trophies`.
 * `earnedDateTime` only on earned ones; `trophyEarnedRate` is a STRING percentage (`"1.6"`); `trophyRare`
 * 0 (ultra rare) … 3 (common).
 */
export const psnUserTrophySchema = z.object({
  trophyId: z.number().int().nonnegative(),
  trophyHidden: z.boolean(),
  earned: z.boolean(),
  earnedDateTime: psnInstantSchema.optional(),
  trophyType: psnTrophyTypeSchema,
  trophyRare: z.number().int().min(0).max(3).optional(),
  trophyEarnedRate: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .optional(),
  progress: z.string().optional(),
  progressRate: z.number().optional(),
  progressedDateTime: psnInstantSchema.optional(),
});
export type PsnUserTrophy = z.infer<typeof psnUserTrophySchema>;

export const psnUserTrophiesSchema = z.object({
  trophySetVersion: z.string().optional(),
  hasTrophyGroups: z.boolean().optional(),
  lastUpdatedDateTime: psnInstantSchema.optional(),
  trophies: z.array(psnUserTrophySchema),
  rarestTrophies: z.array(psnUserTrophySchema).optional(),
  ...psnPageFields,
});
export type PsnUserTrophies = z.infer<typeof psnUserTrophiesSchema>;

/** `GET /api/trophy/v1/npCommunicationIds/{id}/trophyGroups` (fixture psn/title-trophy-groups-NPWR15509.json). */
export const psnTitleTrophyGroupsSchema = z.object({
  npServiceName: psnNpServiceNameSchema,
  npCommunicationId: z.string().min(1),
  trophySetVersion: z.string().optional(),
  trophyTitleName: z.string(),
  trophyTitleDetail: z.string().optional(),
  trophyTitleIconUrl: z.string().optional(),
  trophyTitlePlatform: z.string().optional(),
  definedTrophies: trophyCountsSchema,
  trophyGroups: z.array(
    z.object({
      trophyGroupId: z.string().min(1),
      trophyGroupName: z.string(),
      trophyGroupDetail: z.string().optional(),
      trophyGroupIconUrl: z.string().optional(),
      definedTrophies: trophyCountsSchema,
    }),
  ),
});

/** `GET /api/trophy/v1/users/{accountId}/npCommunicationIds/{id}/trophyGroups` (per-group earned summary). */
export const psnUserTrophyGroupsSchema = z.object({
  trophySetVersion: z.string().optional(),
  hiddenFlag: z.boolean().optional(),
  progress: z.number().int().min(0).max(100),
  earnedTrophies: trophyCountsSchema,
  lastUpdatedDateTime: psnInstantSchema.optional(),
  trophyGroups: z.array(
    z.object({
      trophyGroupId: z.string().min(1),
      progress: z.number().int().min(0).max(100),
      earnedTrophies: trophyCountsSchema,
      lastUpdatedDateTime: psnInstantSchema.optional(),
    }),
  ),
});

/**
 * `GET /api/trophy/v1/users/{accountId}/titles/trophyTitles?npTitleIds=a,b,c`: its own order, `trophyTitles: []`
 * for a title the user has not played.
 */
export const psnTitlesTrophyTitlesSchema = z.object({
  titles: z.array(
    z.object({
      npTitleId: z.string().min(1),
      trophyTitles: z.array(
        psnTrophyTitleSchema.extend({
          hasTrophyGroups: z.boolean().optional(),
          rarestTrophies: z.array(psnUserTrophySchema.extend({ trophyName: z.string().optional(), trophyDetail: z.string().optional(), trophyIconUrl: z.string().optional() })).optional(),
        }),
      ),
    }),
  ),
});

const psnMediaSchema = z.object({
  images: z.array(z.object({ url: z.string(), format: z.string().optional(), type: z.string().optional() })).default([]),
});

/**
 * `GET /api/gamelist/v2/users/{accountId}/titles` (fixtures psn/gamelist-titles-*.json): unlike the trophy
 * lists, `nextOffset: null` is explicit and the first page says `previousOffset: 0`. `playDuration` is an
 * ISO-8601 duration with hours not rolled into days (`PT215H2M16S`).
 */
export const psnGameListPageSchema = z.object({
  titles: z.array(
    z.object({
      titleId: z.string().min(1),
      name: z.string(),
      localizedName: z.string().optional(),
      imageUrl: z.string().optional(),
      localizedImageUrl: z.string().optional(),
      category: z.string(),
      service: z.string().optional(),
      playCount: z.number().int().nonnegative(),
      concept: z
        .object({
          id: z.number().int(),
          titleIds: z.array(z.string()).default([]),
          name: z.string(),
          media: psnMediaSchema.optional(),
          genres: z.array(z.string()).optional(),
          country: z.string().optional(),
          language: z.string().optional(),
        })
        .optional(),
      media: psnMediaSchema.optional(),
      firstPlayedDateTime: psnInstantSchema.optional(),
      lastPlayedDateTime: psnInstantSchema.optional(),
      playDuration: z
        .string()
        .regex(/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/)
        .optional(),
    }),
  ),
  nextOffset: z.number().int().nullable().optional(),
  previousOffset: z.number().int().nullable().optional(),
  totalItemCount: z.number().int().nonnegative(),
});
export type PsnGameListPage = z.infer<typeof psnGameListPageSchema>;

export type PsnTitleTrophyGroups = z.infer<typeof psnTitleTrophyGroupsSchema>;
export type PsnUserTrophyGroups = z.infer<typeof psnUserTrophyGroupsSchema>;
export type PsnNpServiceName = z.infer<typeof psnNpServiceNameSchema>;
export type PsnTrophyType = z.infer<typeof psnTrophyTypeSchema>;
export type PsnTrophyCounts = z.infer<typeof trophyCountsSchema>;
