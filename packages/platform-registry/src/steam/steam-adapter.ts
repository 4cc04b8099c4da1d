import type { SteamClient, SteamOwnedGame } from '@ach/platform-clients';
import type { AchievementDefinition, PlatformAdapter, PlatformIdentity, TitleSummary } from '@ach/sync-engine';

/**
 * Steam → the engine's shapes. The change marker is last-played time + total playtime: Steam bumps
 * one of them whenever the user plays, and playing is the only way to earn an achievement. (A stats
 * reset moves neither; `mode: full` catches that.)
 */
export function createSteamAdapter(client: SteamClient, platform: PlatformIdentity): PlatformAdapter {
  const appIdOf = (title: TitleSummary) => Number(title.platformGameId);

  return {
    platform,

    // One unsorted answer with every owned game: nothing to stop early on, so the stored markers go unused.
    async listTitles(account) {
      const games = await client.getOwnedGames(account.externalAccountId);
      return { titles: games.map(toTitle), complete: true };
    },

    async fetchGameMetadata(_account, title) {
      const appId = appIdOf(title);
      const schema = await client.getSchemaForGame(appId);
      if (schema.achievements.length === 0) return { achievements: [] };
      const percentages = await client.getGlobalAchievementPercentages(appId);
      const rarity = new Map(percentages.map((p) => [p.apiName, p.percent]));
      return {
        achievements: schema.achievements.map(
          (a): AchievementDefinition => ({
            platformAchievementId: a.apiName,
            name: a.displayName,
            description: a.description,
            iconUrl: a.iconUrl,
            iconLockedUrl: a.iconGrayUrl,
            hidden: a.hidden,
            points: null,
            type: null,
            rarityPercentage: rarity.get(a.apiName) ?? null,
          }),
        ),
      };
    },

    async fetchUserUnlocks(account, title) {
      const result = await client.getPlayerAchievements(account.externalAccountId, appIdOf(title));
      if (!result.hasStats) return { unlocks: [] };
      return {
        unlocks: result.achievements.filter((a) => a.achieved).map((a) => ({ platformAchievementId: a.apiName, earnedAt: a.unlockedAt })),
      };
    },
  };
}

function toTitle(game: SteamOwnedGame): TitleSummary {
  return {
    platformGameId: String(game.appId),
    name: game.name ?? `App ${game.appId}`,
    iconUrl: game.iconUrl,
    changeMarker: `${game.rtimeLastPlayed}:${game.playtimeForeverMinutes}`,
    lastPlayedAt: game.lastPlayedAt,
    playtimeMinutes: game.playtimeForeverMinutes,
    gameData: { hasCommunityVisibleStats: game.hasCommunityVisibleStats },
  };
}
