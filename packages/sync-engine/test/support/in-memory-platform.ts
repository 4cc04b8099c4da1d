import type { AchievementDefinition, ListTitlesOptions, PlatformAdapter, TitleSummary } from '../../src/index.ts';
import { TEST_PLATFORMS, type TestPlatform } from './test-platforms.ts';

/**
 * A platform held in memory, for engine tests that must not depend on any real platform's quirks:
 * games with definitions, per-account libraries and unlocks, scripted failures, call counts.
 */
export interface MemoryGame {
  id: string;
  name: string;
  achievements: AchievementDefinition[];
}

export interface MemoryLibraryEntry {
  gameId: string;
  lastPlayed: number;
  unlocked: Map<string, Date | null>;
}

export function achievement(id: string, extra: Partial<AchievementDefinition> = {}): AchievementDefinition {
  return {
    platformAchievementId: id,
    name: `Name ${id}`,
    description: `Do ${id}`,
    iconUrl: `https://cdn.example/${id}.png`,
    iconLockedUrl: `https://cdn.example/${id}-gray.png`,
    hidden: false,
    points: null,
    type: null,
    rarityPercentage: 12.345,
    ...extra,
  };
}

export function createInMemoryPlatform(slug: TestPlatform = 'steam') {
  const platform = TEST_PLATFORMS[slug];
  const games = new Map<string, MemoryGame>();
  const libraries = new Map<string, Map<string, MemoryLibraryEntry>>();
  const calls = { list: 0, listOptions: [] as Pick<ListTitlesOptions, 'mode' | 'storedMarkers'>[], syncedThrough: [] as (Date | null)[], metadata: new Map<string, number>(), unlocks: new Map<string, number>() };
  /** List most recently played first and, in incremental mode, stop at the first unchanged title (as PSN's list allows). */
  let stopsEarly = false;
  /** Called before each request; throw to simulate a platform failure. */
  let fault: ((what: 'list' | 'metadata' | 'unlocks', gameId?: string) => void | Promise<void>) | undefined;

  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  const adapter: PlatformAdapter = {
    platform,
    async listTitles(account, options) {
      calls.list += 1;
      calls.listOptions.push({ mode: options.mode, storedMarkers: new Map(options.storedMarkers) });
      calls.syncedThrough.push(options.syncedThrough);
      await fault?.('list');
      const library = libraries.get(account.externalAccountId) ?? new Map<string, MemoryLibraryEntry>();
      const titles = [...library.values()].map(
        (entry): TitleSummary => ({
          platformGameId: entry.gameId,
          name: games.get(entry.gameId)!.name,
          iconUrl: `https://cdn.example/game-${entry.gameId}.png`,
          changeMarker: String(entry.lastPlayed),
          lastPlayedAt: entry.lastPlayed ? new Date(entry.lastPlayed * 1000) : null,
          playtimeMinutes: entry.lastPlayed % 1000,
        }),
      );
      if (!stopsEarly || options.mode === 'full') return { titles, complete: true };
      titles.sort((a, b) => Number(b.changeMarker) - Number(a.changeMarker));
      const firstUnchanged = titles.findIndex((t) => options.storedMarkers.get(t.platformGameId) === t.changeMarker);
      return firstUnchanged === -1 ? { titles, complete: true } : { titles: titles.slice(0, firstUnchanged), complete: false };
    },
    async fetchGameMetadata(_account, title) {
      bump(calls.metadata, title.platformGameId);
      await fault?.('metadata', title.platformGameId);
      return { achievements: structuredClone(games.get(title.platformGameId)!.achievements) };
    },
    async fetchUserUnlocks(account, title) {
      bump(calls.unlocks, title.platformGameId);
      await fault?.('unlocks', title.platformGameId);
      const entry = libraries.get(account.externalAccountId)?.get(title.platformGameId);
      return { unlocks: [...(entry?.unlocked ?? new Map()).entries()].map(([id, at]) => ({ platformAchievementId: id, earnedAt: at })) };
    },
  };

  return {
    adapter,
    calls,
    resetCalls() {
      calls.list = 0;
      calls.listOptions.length = 0;
      calls.syncedThrough.length = 0;
      calls.metadata.clear();
      calls.unlocks.clear();
    },
    setFault(f: typeof fault) {
      fault = f;
    },
    setStopsEarly(value: boolean) {
      stopsEarly = value;
    },
    addGame(id: string, achievementCount: number, name = `Game ${id}`) {
      games.set(id, { id, name, achievements: Array.from({ length: achievementCount }, (_, i) => achievement(`${id}_A${i}`)) });
    },
    game: (id: string) => games.get(id)!,
    own(account: string, gameId: string, unlockedCount = 0, lastPlayed = 1_700_000_000) {
      let library = libraries.get(account);
      if (!library) libraries.set(account, (library = new Map()));
      const game = games.get(gameId)!;
      const unlocked = new Map<string, Date | null>();
      for (const a of game.achievements.slice(0, unlockedCount)) unlocked.set(a.platformAchievementId, new Date(1_600_000_000_000));
      library.set(gameId, { gameId, lastPlayed, unlocked });
    },
    /** Earn achievements and bump the change marker, as a platform does when the user plays. */
    earn(account: string, gameId: string, achievementIds: string[]) {
      const entry = libraries.get(account)!.get(gameId)!;
      for (const id of achievementIds) entry.unlocked.set(id, new Date(1_650_000_000_000));
      entry.lastPlayed += 100;
    },
    /** A stats reset: unlocks vanish, the marker does not move. */
    resetStats(account: string, gameId: string) {
      libraries.get(account)!.get(gameId)!.unlocked.clear();
    },
    disown(account: string, gameId: string) {
      libraries.get(account)!.delete(gameId);
    },
  };
}
