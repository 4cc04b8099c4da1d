import type { CannedResponse, PlatformFaultResponses } from '../serve-call.ts';
import type { SteamGameDefinition } from './steam-catalogue.ts';
import type { SteamOwnedGameView, SteamPlayerAchievementsView, SteamProfileView } from './steam-state.ts';

/**
 * Steam's answers, byte for byte where a recording exists (platform-fixtures/steam; the sandbox tests
 * compare these constants with the recorded files). Success bodies follow the recorded field order and
 * types; they are compact rather than TAB-indented, which no client can tell apart.
 */
const JSON_TYPE = 'application/json; charset=UTF-8';
const HTML_TYPE = 'text/html; charset=UTF-8';

/** error-forbidden-invalid-key-403.html */
export const INVALID_KEY_HTML =
  '<html><head><title>Forbidden</title></head><body><h1>Forbidden</h1>Access is denied. Retrying will not help. Please verify your <pre>key=</pre> parameter.</body></html>';
/** error-internal-server-error-500.html */
export const INTERNAL_ERROR_HTML = '<html>\n<head>\n<title>500 Internal Server Error</title>\n</head>\n<body>\n<h1>Internal Server Error</h1>\n</body>\n</html>';
/** get-player-achievements-no-stats-400.json */
export const NO_STATS_BODY = '{\n\t"playerstats": {\n\t\t"error": "Requested app has no stats",\n\t\t"success": false\n\t}\n}';
/** Same envelope as the no-stats body; the text is what Steam says for a private profile. */
export const PROFILE_NOT_PUBLIC_BODY = '{\n\t"playerstats": {\n\t\t"error": "Profile is not public",\n\t\t"success": false\n\t}\n}';
/** get-schema-for-game-no-schema.json */
export const NO_SCHEMA_BODY = '{\n\t"game": {\n\n\t}\n}';
/** get-global-achievement-percentages-error-403.json (also get-user-stats-for-game-no-stats-400.json) */
export const EMPTY_OBJECT_BODY = '{\n\n}';
/** What GetOwnedGames / GetRecentlyPlayedGames say for a private or unknown profile. */
export const EMPTY_RESPONSE_BODY = '{\n\t"response": {\n\n\t}\n}';

const UNAUTHORIZED_HTML =
  '<html><head><title>Unauthorized</title></head><body><h1>Unauthorized</h1>Access is denied. Retrying will not help. Please verify your <pre>key=</pre> parameter.</body></html>';
const TOO_MANY_REQUESTS_HTML = '<html><head><title>Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>';
const GATEWAY_TIMEOUT_HTML = '<html><head><title>504 Gateway Time-out</title></head><body><h1>Gateway Time-out</h1></body></html>';

export const json = (value: unknown, status = 200): CannedResponse => ({ status, contentType: JSON_TYPE, body: JSON.stringify(value) });
const raw = (status: number, body: string, contentType = JSON_TYPE): CannedResponse => ({ status, contentType, body });

export const invalidKey = (): CannedResponse => raw(403, INVALID_KEY_HTML, HTML_TYPE);
export const internalError = (): CannedResponse => raw(500, INTERNAL_ERROR_HTML, HTML_TYPE);
export const missingParameter = (name: string): CannedResponse =>
  raw(400, `<html><head><title>Bad Request</title></head><body><h1>Bad Request</h1>Required parameter '${name}' is missing</body></html>`, HTML_TYPE);

export const STEAM_FAULT_RESPONSES: PlatformFaultResponses = {
  rateLimited: raw(429, TOO_MANY_REQUESTS_HTML, HTML_TYPE),
  serverError: raw(500, INTERNAL_ERROR_HTML, HTML_TYPE),
  unauthorized: raw(401, UNAUTHORIZED_HTML, HTML_TYPE),
  forbidden: raw(403, INVALID_KEY_HTML, HTML_TYPE),
  gatewayTimeout: raw(504, GATEWAY_TIMEOUT_HTML, HTML_TYPE),
};

const CDN = 'https://cdn.akamai.steamstatic.com/steamcommunity/public/images';
const AVATARS = 'https://avatars.steamstatic.com';

/** Field order of the current (2026) recording; `has_community_visible_stats` only when true. */
function ownedGameWire(game: SteamOwnedGameView, includeAppInfo: boolean) {
  return {
    appid: game.appid,
    ...(includeAppInfo ? { name: game.name } : {}),
    playtime_forever: game.playtimeForever,
    ...(includeAppInfo ? { img_icon_url: game.iconHash } : {}),
    ...(includeAppInfo && game.hasStats ? { has_community_visible_stats: true } : {}),
    playtime_windows_forever: game.playtimeForever,
    playtime_mac_forever: 0,
    playtime_linux_forever: 0,
    playtime_deck_forever: 0,
    rtime_last_played: game.rtimeLastPlayed,
    playtime_disconnected: 0,
  };
}

export function ownedGamesBody(games: SteamOwnedGameView[] | 'private', includeAppInfo: boolean): CannedResponse {
  if (games === 'private') return raw(200, EMPTY_RESPONSE_BODY);
  return json({ response: { game_count: games.length, games: games.map((g) => ownedGameWire(g, includeAppInfo)) } });
}

export function recentlyPlayedGamesBody(games: SteamOwnedGameView[] | 'private', now: number, count: number | undefined): CannedResponse {
  if (games === 'private') return raw(200, EMPTY_RESPONSE_BODY);
  const recent = games.filter((g) => g.rtimeLastPlayed > 0 && g.rtimeLastPlayed >= now - 14 * 86_400).sort((a, b) => b.rtimeLastPlayed - a.rtimeLastPlayed);
  const shown = count && count > 0 ? recent.slice(0, count) : recent;
  return json({
    response: {
      total_count: recent.length,
      games: shown.map((g) => ({
        appid: g.appid,
        name: g.name,
        playtime_2weeks: Math.min(g.playtimeForever, 14 * 24 * 60),
        playtime_forever: g.playtimeForever,
        img_icon_url: g.iconHash,
        playtime_windows_forever: g.playtimeForever,
        playtime_mac_forever: 0,
        playtime_linux_forever: 0,
        playtime_deck_forever: 0,
      })),
    },
  });
}

export function playerAchievementsBody(steamId: string, result: SteamPlayerAchievementsView): CannedResponse {
  if (result.kind === 'private') return raw(403, PROFILE_NOT_PUBLIC_BODY);
  if (result.kind === 'no_stats') return raw(400, NO_STATS_BODY);
  return json({ playerstats: { steamID: steamId, gameName: result.gameName, achievements: result.achievements, success: true } });
}

/**
 * Schema and percentage bodies depend on the definition alone, which never changes: built once per game.
 * Keyed by the definition object, so they go away with the state that owns it.
 */
const schemaBodies = new WeakMap<SteamGameDefinition, CannedResponse>();
const percentageBodies = new WeakMap<SteamGameDefinition, CannedResponse>();

function memo(cache: WeakMap<SteamGameDefinition, CannedResponse>, game: SteamGameDefinition, build: () => CannedResponse): CannedResponse {
  let body = cache.get(game);
  if (!body) cache.set(game, (body = build()));
  return body;
}

export function schemaForGameBody(game: SteamGameDefinition | undefined): CannedResponse {
  if (!game || !game.hasStats) return raw(200, NO_SCHEMA_BODY);
  return memo(schemaBodies, game, () => buildSchemaBody(game));
}

function buildSchemaBody(game: SteamGameDefinition): CannedResponse {
  const icon = (hash: string) => `${CDN}/apps/${game.appid}/${hash}.jpg`;
  return json({
    game: {
      gameName: game.name,
      gameVersion: '1',
      availableGameStats: {
        achievements: game.achievements.map((a) => ({
          name: a.apiname,
          defaultvalue: 0,
          displayName: a.displayName,
          hidden: a.hidden ? 1 : 0,
          ...(a.description === undefined ? {} : { description: a.description }),
          icon: icon(a.iconHash),
          icongray: icon(a.iconGrayHash),
        })),
        stats: [{ name: 'STAT_TIME_PLAYED', defaultvalue: 0, displayName: 'Time played' }],
      },
    },
  });
}

/**
 * Sorted rarest-last like Steam. Apps whose appid/10 is odd send `percent` as a string (what Steam does
 * today), even ones as a float (the 2015 recording): clients meet both shapes in every run.
 */
export function globalPercentagesBody(game: SteamGameDefinition | undefined): CannedResponse {
  if (!game || !game.hasStats) return raw(403, EMPTY_OBJECT_BODY);
  return memo(percentageBodies, game, () => buildPercentagesBody(game));
}

function buildPercentagesBody(game: SteamGameDefinition): CannedResponse {
  const asString = (game.appid / 10) % 2 === 1;
  const achievements = [...game.achievements]
    .sort((a, b) => b.globalPercent - a.globalPercent)
    .map((a) => ({ name: a.apiname, percent: asString ? a.globalPercent.toFixed(1) : a.globalPercent }));
  return json({ achievementpercentages: { achievements } });
}

export function playerSummariesBody(profiles: SteamProfileView[]): CannedResponse {
  return json({
    response: {
      players: profiles.map((p) => {
        const avatar = `${AVATARS}/${p.avatarHash}`;
        const common = {
          steamid: p.steamId,
          communityvisibilitystate: p.private ? 1 : 3,
          profilestate: 1,
          personaname: p.personaName,
          ...(p.private ? {} : { commentpermission: 1 }),
          profileurl: p.vanity ? `https://steamcommunity.com/id/${p.vanity}/` : `https://steamcommunity.com/profiles/${p.steamId}/`,
          avatar: `${avatar}.jpg`,
          avatarmedium: `${avatar}_medium.jpg`,
          avatarfull: `${avatar}_full.jpg`,
          avatarhash: p.avatarHash,
          lastlogoff: p.lastLogoff,
          personastate: 0,
        };
        // A private profile shows strangers only the basics.
        if (p.private) return { ...common, personastateflags: 0 };
        return { ...common, primaryclanid: '103582791429521408', timecreated: p.timeCreated, personastateflags: 0 };
      }),
    },
  });
}

export function resolveVanityBody(steamId: string | undefined): CannedResponse {
  return json({ response: steamId ? { steamid: steamId, success: 1 } : { success: 42, message: 'No match' } });
}
