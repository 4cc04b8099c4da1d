import { z } from 'zod';

/**
 * Wire formats of the Steam Web API, checked against every recorded body in
 * test/fixtures/steam (real responses, copied byte for byte). Unknown fields are dropped, not rejected: Steam adds fields
 * (2026 GetOwnedGames has playtime_deck_forever, content_descriptorids, ...) without versioning.
 */

/** Steam writes steamids as strings; never let one pass through a JS number. */
const steamIdString = z.string().regex(/^\d{1,20}$/, 'a numeric string');
const unixSeconds = z.number().int().nonnegative();
const zeroOrOne = z.union([z.literal(0), z.literal(1)]);

export const ownedGameSchema = z.object({
  appid: z.number().int().nonnegative(),
  /** Only with include_appinfo=1. */
  name: z.string().optional(),
  playtime_forever: z.number().int().nonnegative(),
  playtime_2weeks: z.number().int().nonnegative().optional(),
  /** A hash, not a URL; empty for some apps. Only with include_appinfo=1. */
  img_icon_url: z.string().optional(),
  /** Present (and true) only for apps with community-visible stats. */
  has_community_visible_stats: z.boolean().optional(),
  /** Current responses only; 0 = never played. */
  rtime_last_played: unixSeconds.optional(),
});
export type SteamOwnedGameWire = z.output<typeof ownedGameSchema>;

/** A private (or unknown) profile answers 200 `{"response":{}}`: no game_count at all. */
export const ownedGamesResponseSchema = z.object({
  response: z.object({
    game_count: z.number().int().nonnegative().optional(),
    games: z.array(ownedGameSchema).optional(),
  }),
});

export const recentlyPlayedGamesResponseSchema = z.object({
  response: z.object({
    total_count: z.number().int().nonnegative().optional(),
    games: z.array(ownedGameSchema).optional(),
  }),
});

const playerAchievementSchema = z.object({
  apiname: z.string().min(1),
  achieved: zeroOrOne,
  /** Current responses: unix seconds, 0 when locked. Absent in 2015 recordings. */
  unlocktime: unixSeconds.optional(),
  /** Only with `l=<language>`. */
  name: z.string().optional(),
  description: z.string().optional(),
});

/** Steam's error envelope for player stats, sent with 400 (no stats) or 403 (private profile). */
export const playerStatsErrorSchema = z.object({
  playerstats: z.object({ error: z.string(), success: z.literal(false) }),
});

export const playerAchievementsSchema = z.object({
  playerstats: z.object({
    steamID: steamIdString,
    gameName: z.string().optional(),
    /** Absent for an app with stats but no achievements. */
    achievements: z.array(playerAchievementSchema).optional(),
    success: z.literal(true).optional(),
  }),
});

/** GetPlayerAchievements answers either shape; a 400 carries the error envelope. */
export const playerAchievementsResponseSchema = z.union([playerStatsErrorSchema, playerAchievementsSchema]);

const schemaAchievementSchema = z.object({
  /** The API name (`apiname` in player achievements). */
  name: z.string().min(1),
  defaultvalue: z.number().optional(),
  displayName: z.string(),
  hidden: zeroOrOne,
  /** Missing on some hidden achievements. */
  description: z.string().optional(),
  icon: z.string(),
  icongray: z.string(),
});

const schemaStatSchema = z.object({
  name: z.string(),
  defaultvalue: z.number().optional(),
  displayName: z.string().optional(),
});

/** `{"game":{}}` is an app without a schema (no stats): a normal answer, not an error. */
export const schemaForGameResponseSchema = z.object({
  game: z.object({
    gameName: z.string().optional(),
    gameVersion: z.string().optional(),
    availableGameStats: z
      .object({
        achievements: z.array(schemaAchievementSchema).optional(),
        stats: z.array(schemaStatSchema).optional(),
      })
      .optional(),
  }),
});

/** 2015 bodies send a float, later ones a string ("76.7"): accept both, output a number. */
const percentSchema = z.union([z.number(), z.string().trim().min(1).pipe(z.coerce.number())]);

export const globalAchievementPercentagesResponseSchema = z.object({
  achievementpercentages: z.object({
    /**
     * Real answers can end with a junk row (`{"name":"","percent":55132.2}` in the Civ V recording): the
     * client drops rows without a name or outside 0–100 instead of rejecting the whole answer.
     */
    achievements: z.array(z.object({ name: z.string(), percent: percentSchema })).optional(),
  }),
});

export const playerSummarySchema = z.object({
  steamid: steamIdString,
  /** 3 = public; 1 = private / friends only as seen by a stranger. */
  communityvisibilitystate: z.number().int(),
  profilestate: z.number().int().optional(),
  personaname: z.string(),
  profileurl: z.string(),
  avatar: z.string(),
  avatarmedium: z.string().optional(),
  avatarfull: z.string().optional(),
  avatarhash: z.string().optional(),
  personastate: z.number().int().optional(),
  lastlogoff: unixSeconds.optional(),
  realname: z.string().optional(),
  timecreated: unixSeconds.optional(),
  loccountrycode: z.string().optional(),
});

export const playerSummariesResponseSchema = z.object({
  response: z.object({ players: z.array(playerSummarySchema) }),
});

/** `success` is a number: 1 = match, 42 = no match. */
export const resolveVanityUrlResponseSchema = z.object({
  response: z.union([
    z.object({ success: z.literal(1), steamid: steamIdString }),
    z.object({ success: z.number().int().refine((n) => n !== 1), message: z.string().optional() }),
  ]),
});

export const userStatsForGameSchema = z.object({
  playerstats: z.object({
    steamID: steamIdString,
    gameName: z.string().optional(),
    achievements: z.array(z.object({ name: z.string().min(1), achieved: zeroOrOne })).optional(),
    stats: z.array(z.object({ name: z.string().min(1), value: z.number() })).optional(),
  }),
});

/** An app without stats answers GetUserStatsForGame with 400 and an empty object (`{\n\n}`). */
export const userStatsForGameResponseSchema = z.union([userStatsForGameSchema, z.strictObject({})]);
