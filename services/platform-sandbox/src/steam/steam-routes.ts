import type { FastifyPluginAsync } from 'fastify';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { serveCall, type CannedResponse } from '../serve-call.ts';
import {
  globalPercentagesBody,
  internalError,
  invalidKey,
  missingParameter,
  ownedGamesBody,
  playerAchievementsBody,
  playerSummariesBody,
  recentlyPlayedGamesBody,
  resolveVanityBody,
  schemaForGameBody,
  STEAM_FAULT_RESPONSES,
} from './steam-bodies.ts';
import { steamAdminRoutes } from './steam-admin-routes.ts';
import { isNumericId, isTruthyFlag, steamQuerySchema, type SteamQuery } from './steam-query.ts';
import type { SteamSandboxState } from './steam-state.ts';

interface SteamEndpoint {
  id: string;
  /** `/<Interface>/<Method>/`; each version is served as `vN` and `v000N`. */
  path: string;
  version: number;
  needsKey: boolean;
  /** Parameters that faults can match on and calls are counted by. */
  countedParams: string[];
  produce(query: SteamQuery, steam: SteamSandboxState): CannedResponse;
}

const MAX_SUMMARY_IDS = 100;

/** Steam answers a steamid it cannot parse with its HTML 500 page (recorded for steamid=aaa). */
function withSteamId(query: SteamQuery, answer: (steamId: string) => CannedResponse): CannedResponse {
  const steamId = query.steamid;
  if (steamId === undefined || steamId === '') return missingParameter('steamid');
  if (!isNumericId(steamId)) return internalError();
  return answer(steamId);
}

export const STEAM_SANDBOX_ENDPOINTS: SteamEndpoint[] = [
  {
    id: 'steam.GetOwnedGames',
    path: '/IPlayerService/GetOwnedGames',
    version: 1,
    needsKey: true,
    countedParams: ['steamid'],
    produce: (q, steam) => withSteamId(q, (id) => ownedGamesBody(steam.ownedGames(id), isTruthyFlag(q.include_appinfo))),
  },
  {
    id: 'steam.GetRecentlyPlayedGames',
    path: '/IPlayerService/GetRecentlyPlayedGames',
    version: 1,
    needsKey: true,
    countedParams: ['steamid'],
    produce: (q, steam) =>
      withSteamId(q, (id) => recentlyPlayedGamesBody(steam.ownedGames(id), steam.now(), q.count ? Number(q.count) || undefined : undefined)),
  },
  {
    id: 'steam.GetPlayerAchievements',
    path: '/ISteamUserStats/GetPlayerAchievements',
    version: 1,
    needsKey: true,
    countedParams: ['steamid', 'appid'],
    produce: (q, steam) =>
      withSteamId(q, (id) => {
        if (!q.appid) return missingParameter('appid');
        return playerAchievementsBody(id, steam.playerAchievements(id, isNumericId(q.appid) ? Number(q.appid) : -1));
      }),
  },
  {
    id: 'steam.GetSchemaForGame',
    path: '/ISteamUserStats/GetSchemaForGame',
    version: 2,
    needsKey: true,
    countedParams: ['appid'],
    produce: (q, steam) => {
      if (!q.appid) return missingParameter('appid');
      return schemaForGameBody(isNumericId(q.appid) ? steam.game(Number(q.appid)) : undefined);
    },
  },
  {
    // No key needed, and the parameter is `gameid`; counted as `appid` so every per-game count reads alike.
    id: 'steam.GetGlobalAchievementPercentagesForApp',
    path: '/ISteamUserStats/GetGlobalAchievementPercentagesForApp',
    version: 2,
    needsKey: false,
    countedParams: ['appid'],
    produce: (q, steam) => {
      if (!q.gameid) return missingParameter('gameid');
      return globalPercentagesBody(isNumericId(q.gameid) ? steam.game(Number(q.gameid)) : undefined);
    },
  },
  {
    id: 'steam.GetPlayerSummaries',
    path: '/ISteamUser/GetPlayerSummaries',
    version: 2,
    needsKey: true,
    countedParams: [],
    produce: (q, steam) => {
      if (!q.steamids) return missingParameter('steamids');
      const ids = q.steamids.split(',').map((s) => s.trim()).slice(0, MAX_SUMMARY_IDS);
      const profiles = ids.flatMap((id) => {
        const profile = isNumericId(id) ? steam.profile(id) : undefined;
        return profile ? [profile] : [];
      });
      return playerSummariesBody(profiles);
    },
  },
  {
    id: 'steam.ResolveVanityURL',
    path: '/ISteamUser/ResolveVanityURL',
    version: 1,
    needsKey: true,
    countedParams: ['vanityurl'],
    produce: (q, steam) => {
      if (!q.vanityurl) return missingParameter('vanityurl');
      return resolveVanityBody(steam.resolveVanity(q.vanityurl));
    },
  },
];

/** Steam Web API at its real paths (`api.steampowered.com`), plus its admin API under `/__sandbox/steam`. */
export const steamRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  for (const endpoint of STEAM_SANDBOX_ENDPOINTS) {
    const versions = [`v${endpoint.version}`, `v${String(endpoint.version).padStart(4, '0')}`];
    for (const version of versions) {
      app.get(`${endpoint.path}/${version}`, async (request, reply) => {
        const parsed = steamQuerySchema.safeParse(request.query);
        const query = parsed.success ? parsed.data : {};
        const params: Record<string, string | undefined> = {};
        for (const name of endpoint.countedParams) params[name] = name === 'appid' ? (query.appid ?? query.gameid) : query[name];
        return serveCall(sandbox, reply, { endpoint: endpoint.id, params, faults: STEAM_FAULT_RESPONSES }, () => {
          if (endpoint.needsKey && !sandbox.state.steam.isValidKey(query.key)) return invalidKey();
          return endpoint.produce(query, sandbox.state.steam);
        });
      });
    }
  }
  await app.register(steamAdminRoutes, { prefix: '/__sandbox/steam', sandbox });
};
