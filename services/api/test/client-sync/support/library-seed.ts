import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import { writeGameBatch, type GameWrite } from '@ach/library';

/**
 * A user's synced Steam library, written the way a sync writes it (the library repository the
 * engine calls): `games` games of `achievements` achievements each, the first `earned` unlocked,
 * every 4th achievement hidden.
 */
export function steamLibrary(options: { games: number; achievements: number; earned: number; prefix?: string }): GameWrite[] {
  const prefix = options.prefix ?? '';
  return Array.from({ length: options.games }, (_, g) => {
    const id = `${prefix}${440 + g}`;
    const achievements = Array.from({ length: options.achievements }, (_, a) => ({
      platformAchievementId: `ACH_${a}`,
      name: `Achievement ${a} of ${id}`,
      description: `Do thing ${a}`,
      iconUrl: `https://cdn.example/${id}/${a}.jpg`,
      iconLockedUrl: null,
      hidden: a % 4 === 3,
      points: null,
      type: null,
      rarityPercentage: 50 - a,
    }));
    return {
      title: { platformGameId: id, name: `Game ${id}`, iconUrl: null, changeMarker: `m${g}`, lastPlayedAt: new Date(1_700_000_000_000 + g * 1000), playtimeMinutes: g },
      metadata: { achievements, fetchedAt: new Date() },
      unlocks: achievements.slice(0, options.earned).map((a, i) => ({ platformAchievementId: a.platformAchievementId, earnedAt: new Date(1_600_000_000_000 + i * 1000) })),
    };
  });
}

export async function seedSteamLibrary(db: Kysely<Database>, userId: string, games: GameWrite[]): Promise<void> {
  await writeGameBatch(db, { userId, platformId: 3, games, removeUnreported: false });
}
