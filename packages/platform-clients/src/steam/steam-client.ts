import type { z } from 'zod';
import { createPlatformHttp, type PlatformHttp, type PlatformHttpOptions } from '../http/platform-http.ts';
import { isPlatformError, PlatformError } from '../platform-error.ts';
import { classifySteamError, isNoStatsError, playerStatsErrorToPlatformError } from './steam-errors.ts';
import {
  globalAchievementPercentagesResponseSchema,
  ownedGamesResponseSchema,
  playerAchievementsResponseSchema,
  playerSummariesResponseSchema,
  recentlyPlayedGamesResponseSchema,
  resolveVanityUrlResponseSchema,
  schemaForGameResponseSchema,
  userStatsForGameResponseSchema,
  type SteamOwnedGameWire,
} from './steam-schemas.ts';

/** The shared HTTP options (timeout, fetch, rate-limiter hook, call stats; `onCall` never sees the URL, so never the key) plus Steam's own. */
export interface SteamClientOptions extends Omit<PlatformHttpOptions, 'platform'> {
  /** scheme://host[:port], e.g. https://api.steampowered.com or the sandbox's URL. */
  baseUrl: string;
  apiKey: string;
}

export interface SteamOwnedGame {
  appId: number;
  /** Null only when Steam omits app info (never with the parameters this client sends). */
  name: string | null;
  /** Full CDN URL built from `img_icon_url`; null when Steam has no icon for the app. */
  iconUrl: string | null;
  playtimeForeverMinutes: number;
  /** Unix seconds as Steam reports it; 0 = never played (or an old response without the field). */
  rtimeLastPlayed: number;
  lastPlayedAt: Date | null;
  /** Steam sends the flag only when true; an app without it normally has no achievements. */
  hasCommunityVisibleStats: boolean;
}

export interface SteamRecentlyPlayedGames {
  /** Can exceed `games.length` when a count was asked for. */
  totalCount: number;
  games: SteamOwnedGame[];
}

export interface SteamPlayerAchievement {
  /** The achievement's API name: `platform_achievement_id`. */
  apiName: string;
  achieved: boolean;
  /** Unix seconds; 0 when locked, or when an old-format answer gave no time. */
  unlockTime: number;
  unlockedAt: Date | null;
}

/** A game without stats is a normal answer (stored with 0 achievements), not an error. */
export type SteamPlayerAchievements =
  | { hasStats: true; gameName: string | null; achievements: SteamPlayerAchievement[] }
  | { hasStats: false };

export interface SteamAchievementDefinition {
  apiName: string;
  displayName: string;
  /** Missing on some hidden achievements. */
  description: string | null;
  hidden: boolean;
  iconUrl: string | null;
  iconGrayUrl: string | null;
}

export interface SteamGameSchema {
  /** Null (with no achievements) when the app has no schema. */
  gameName: string | null;
  gameVersion: string | null;
  achievements: SteamAchievementDefinition[];
}

export interface SteamAchievementPercentage {
  apiName: string;
  /** 0–100. */
  percent: number;
}

export interface SteamPlayerSummary {
  steamId: string;
  personaName: string;
  profileUrl: string;
  /** The largest avatar Steam offers. */
  avatarUrl: string;
  /** 3 = public; anything else means we cannot read the library. */
  communityVisibilityState: number;
  isPublic: boolean;
}

export type SteamUserStatsForGame =
  | { hasStats: true; gameName: string | null; achievements: { apiName: string; achieved: boolean }[]; stats: { name: string; value: number }[] }
  | { hasStats: false };

export interface SteamClient {
  /** Private profiles throw PlatformError kind `private`. */
  getOwnedGames(steamId: string): Promise<SteamOwnedGame[]>;
  getRecentlyPlayedGames(steamId: string, count?: number): Promise<SteamRecentlyPlayedGames>;
  getPlayerAchievements(steamId: string, appId: number): Promise<SteamPlayerAchievements>;
  /** No schema → empty `achievements`. */
  getSchemaForGame(appId: number): Promise<SteamGameSchema>;
  /** Unknown app or no stats → empty list. */
  getGlobalAchievementPercentages(appId: number): Promise<SteamAchievementPercentage[]>;
  getUserStatsForGame(steamId: string, appId: number): Promise<SteamUserStatsForGame>;
  /** Any number of ids (batched by 100, Steam's limit); unknown ids are simply absent. */
  getPlayerSummaries(steamIds: readonly string[]): Promise<SteamPlayerSummary[]>;
  /** The SteamID64 for a vanity name, or null when Steam has no match. */
  resolveVanityUrl(vanity: string): Promise<string | null>;
}

export const STEAM_ENDPOINTS = {
  getOwnedGames: 'steam.GetOwnedGames',
  getRecentlyPlayedGames: 'steam.GetRecentlyPlayedGames',
  getPlayerAchievements: 'steam.GetPlayerAchievements',
  getSchemaForGame: 'steam.GetSchemaForGame',
  getGlobalAchievementPercentages: 'steam.GetGlobalAchievementPercentagesForApp',
  getUserStatsForGame: 'steam.GetUserStatsForGame',
  getPlayerSummaries: 'steam.GetPlayerSummaries',
  resolveVanityUrl: 'steam.ResolveVanityURL',
} as const;

const PLAYER_SUMMARIES_BATCH = 100;

export function steamAppIconUrl(appId: number, hash: string | undefined): string | null {
  if (!hash) return null;
  return `https://media.steampowered.com/steamcommunity/public/images/apps/${appId}/${hash}.jpg`;
}

const fromUnix = (seconds: number): Date | null => (seconds > 0 ? new Date(seconds * 1000) : null);
const nonEmpty = (value: string | undefined): string | null => (value ? value : null);

function toOwnedGame(game: SteamOwnedGameWire): SteamOwnedGame {
  const rtime = game.rtime_last_played ?? 0;
  return {
    appId: game.appid,
    name: game.name ?? null,
    iconUrl: steamAppIconUrl(game.appid, game.img_icon_url),
    playtimeForeverMinutes: game.playtime_forever,
    rtimeLastPlayed: rtime,
    lastPlayedAt: fromUnix(rtime),
    hasCommunityVisibleStats: game.has_community_visible_stats === true,
  };
}

export function createSteamClient(options: SteamClientOptions): SteamClient {
  const { baseUrl: rawBaseUrl, apiKey, ...httpOptions } = options;
  const http: PlatformHttp = createPlatformHttp({ ...httpOptions, platform: 'steam' });
  const baseUrl = rawBaseUrl.replace(/\/+$/, '');

  const steamUrl = (path: string, params: Record<string, string | number>, withKey = true): URL => {
    const url = new URL(`${baseUrl}${path}`);
    if (withKey) url.searchParams.set('key', apiKey);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, String(value));
    url.searchParams.set('format', 'json');
    return url;
  };

  const get = <S extends z.ZodType>(
    endpoint: string,
    url: URL,
    schema: S,
    acceptStatuses?: number[],
  ) => http.request({ endpoint, url, schema, classify: classifySteamError(endpoint), acceptStatuses });

  const privateProfile = (endpoint: string, steamId: string) =>
    new PlatformError({ kind: 'private', platform: 'steam', endpoint, status: 200, message: `${endpoint}: profile ${steamId} is not public` });

  return {
    async getOwnedGames(steamId) {
      const endpoint = STEAM_ENDPOINTS.getOwnedGames;
      const url = steamUrl('/IPlayerService/GetOwnedGames/v1/', { steamid: steamId, include_appinfo: 1, include_played_free_games: 1 });
      const { data } = await get(endpoint, url, ownedGamesResponseSchema);
      // Private profiles get an empty `response`; a public empty library still says game_count 0.
      if (data.response.game_count === undefined) throw privateProfile(endpoint, steamId);
      return (data.response.games ?? []).map(toOwnedGame);
    },

    async getRecentlyPlayedGames(steamId, count) {
      const endpoint = STEAM_ENDPOINTS.getRecentlyPlayedGames;
      const url = steamUrl('/IPlayerService/GetRecentlyPlayedGames/v1/', { steamid: steamId, ...(count === undefined ? {} : { count }) });
      const { data } = await get(endpoint, url, recentlyPlayedGamesResponseSchema);
      if (data.response.total_count === undefined) throw privateProfile(endpoint, steamId);
      return { totalCount: data.response.total_count, games: (data.response.games ?? []).map(toOwnedGame) };
    },

    async getPlayerAchievements(steamId, appId) {
      const endpoint = STEAM_ENDPOINTS.getPlayerAchievements;
      const url = steamUrl('/ISteamUserStats/GetPlayerAchievements/v1/', { steamid: steamId, appid: appId });
      // 400 carries {"playerstats":{"error":"Requested app has no stats","success":false}}: parse it, do not fail on it.
      const { status, data } = await get(endpoint, url, playerAchievementsResponseSchema, [400]);
      const stats = data.playerstats;
      if ('error' in stats) {
        if (isNoStatsError(stats.error)) return { hasStats: false };
        throw playerStatsErrorToPlatformError(endpoint, status, stats.error);
      }
      if (status !== 200) {
        throw new PlatformError({ kind: 'malformed', platform: 'steam', endpoint, status, message: `${endpoint}: HTTP ${status} with a success body` });
      }
      return {
        hasStats: true,
        gameName: nonEmpty(stats.gameName),
        achievements: (stats.achievements ?? []).map((a) => {
          const unlockTime = a.achieved === 1 ? (a.unlocktime ?? 0) : 0;
          return { apiName: a.apiname, achieved: a.achieved === 1, unlockTime, unlockedAt: fromUnix(unlockTime) };
        }),
      };
    },

    async getSchemaForGame(appId) {
      const endpoint = STEAM_ENDPOINTS.getSchemaForGame;
      const url = steamUrl('/ISteamUserStats/GetSchemaForGame/v2/', { appid: appId });
      const { data } = await get(endpoint, url, schemaForGameResponseSchema);
      const game = data.game;
      return {
        gameName: nonEmpty(game.gameName),
        gameVersion: nonEmpty(game.gameVersion),
        achievements: (game.availableGameStats?.achievements ?? []).map((a) => ({
          apiName: a.name,
          displayName: a.displayName,
          description: a.description ?? null,
          hidden: a.hidden === 1,
          iconUrl: nonEmpty(a.icon),
          iconGrayUrl: nonEmpty(a.icongray),
        })),
      };
    },

    async getGlobalAchievementPercentages(appId) {
      const endpoint = STEAM_ENDPOINTS.getGlobalAchievementPercentages;
      // Needs no key (and the parameter is `gameid`): keep the key off a call that does not need it.
      const url = steamUrl('/ISteamUserStats/GetGlobalAchievementPercentagesForApp/v2/', { gameid: appId }, false);
      try {
        const { data } = await get(endpoint, url, globalAchievementPercentagesResponseSchema);
        return (data.achievementpercentages.achievements ?? [])
          .filter((a) => a.name !== '' && a.percent >= 0 && a.percent <= 100)
          .map((a) => ({ apiName: a.name, percent: a.percent }));
      } catch (error) {
        // Unknown app / no stats: 403 with an empty JSON object. Rarity is optional data.
        if (isPlatformError(error) && error.kind === 'private' && error.status === 403) return [];
        throw error;
      }
    },

    async getUserStatsForGame(steamId, appId) {
      const endpoint = STEAM_ENDPOINTS.getUserStatsForGame;
      const url = steamUrl('/ISteamUserStats/GetUserStatsForGame/v2/', { steamid: steamId, appid: appId });
      const { data } = await get(endpoint, url, userStatsForGameResponseSchema, [400]);
      if (!('playerstats' in data)) return { hasStats: false };
      const stats = data.playerstats;
      return {
        hasStats: true,
        gameName: nonEmpty(stats.gameName),
        achievements: (stats.achievements ?? []).map((a) => ({ apiName: a.name, achieved: a.achieved === 1 })),
        stats: stats.stats ?? [],
      };
    },

    async getPlayerSummaries(steamIds) {
      const endpoint = STEAM_ENDPOINTS.getPlayerSummaries;
      const unique = [...new Set(steamIds)];
      const players: SteamPlayerSummary[] = [];
      for (let i = 0; i < unique.length; i += PLAYER_SUMMARIES_BATCH) {
        const batch = unique.slice(i, i + PLAYER_SUMMARIES_BATCH);
        const url = steamUrl('/ISteamUser/GetPlayerSummaries/v2/', { steamids: batch.join(',') });
        const { data } = await get(endpoint, url, playerSummariesResponseSchema);
        for (const p of data.response.players) {
          players.push({
            steamId: p.steamid,
            personaName: p.personaname,
            profileUrl: p.profileurl,
            avatarUrl: p.avatarfull ?? p.avatarmedium ?? p.avatar,
            communityVisibilityState: p.communityvisibilitystate,
            isPublic: p.communityvisibilitystate === 3,
          });
        }
      }
      return players;
    },

    async resolveVanityUrl(vanity) {
      const endpoint = STEAM_ENDPOINTS.resolveVanityUrl;
      const url = steamUrl('/ISteamUser/ResolveVanityURL/v1/', { vanityurl: vanity });
      const { data } = await get(endpoint, url, resolveVanityUrlResponseSchema);
      if ('steamid' in data.response) return data.response.steamid;
      if (data.response.success === 42) return null;
      throw new PlatformError({
        kind: 'malformed',
        platform: 'steam',
        endpoint,
        status: 200,
        message: `${endpoint}: unexpected success code ${data.response.success}`,
      });
    },
  };
}
