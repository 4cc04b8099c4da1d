import { expect } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { StartedSandbox } from '@ach/platform-sandbox';

const XBOX = 2;

/** An Xbox instant as the database returns it (7 fractional digits on the wire, milliseconds stored). */
const ms = (epochMs: number) => new Date(epochMs).getTime();

/**
 * Asserts the database holds exactly the sandbox's library for this user: every title (Xbox One/Series
 * and 360), every definition (name, gamerscore, secret flag, rarity), every unlock with its time, and
 * user_progress in Xbox's own figures (gamerscore earned/total, progressPercentage).
 */
export async function expectMirrorsSandbox(db: Kysely<Database>, sandbox: StartedSandbox, userId: string, xuid: string): Promise<{ titles: number; achievements: number; unlocks: number; x360Titles: number }> {
  const library = sandbox.state.xbox.library(xuid)!;
  const owned = library.titles();

  const progress = await db.selectFrom('user_progress').selectAll().where('user_id', '=', userId).where('platform_id', '=', XBOX).execute();
  expect(progress.map((p) => p.platform_game_id).sort()).toEqual(owned.map((t) => String(t.definition.titleId)).sort());

  const ids = owned.map((t) => String(t.definition.titleId));
  const games = await db.selectFrom('games').selectAll().where('platform_id', '=', XBOX).where('platform_game_id', 'in', ids).execute();
  const achievements = await db.selectFrom('achievements').selectAll().where('platform_id', '=', XBOX).where('platform_game_id', 'in', ids).execute();
  const unlocks = await db.selectFrom('user_achievements').selectAll().where('user_id', '=', userId).where('platform_id', '=', XBOX).execute();
  const gameById = new Map(games.map((g) => [g.platform_game_id, g]));
  const achievementByKey = new Map(achievements.map((a) => [`${a.platform_game_id}/${a.platform_achievement_id}`, a]));
  const unlockByKey = new Map(unlocks.map((u) => [`${u.platform_game_id}/${u.platform_achievement_id}`, u]));

  let expectedAchievements = 0;
  let expectedUnlocks = 0;
  for (const title of owned) {
    const d = title.definition;
    const id = String(d.titleId);
    const game = gameById.get(id);
    expect(game, `game ${id}`).toBeDefined();
    expect(game!.name).toBe(d.name);
    expect(game!.achievements_total).toBe(d.achievementCount);
    expect((game!.platform_specific_data as unknown as { contract: number }).contract).toBe(d.kind === 'x360' ? 1 : 2);

    d.achievements.forEach((a, k) => {
      expectedAchievements += 1;
      const row = achievementByKey.get(`${id}/${a.id}`);
      expect(row, `achievement ${id}/${a.id}`).toBeDefined();
      expect(row!.name).toBe(a.name);
      expect(row!.points).toBe(a.gamerscore);
      expect(row!.hidden).toBe(a.isSecret);
      expect(row!.description).toBe(a.lockedDescription);
      expect(row!.rarity_percentage === null ? null : Number(row!.rarity_percentage)).toBe(a.rarityPercent);
      const unlockedAt = title.progress.unlockTimes[k]!;
      const unlock = unlockByKey.get(`${id}/${a.id}`);
      if (unlockedAt > 0) {
        expectedUnlocks += 1;
        expect(unlock, `unlock ${id}/${a.id}`).toBeDefined();
        expect(unlock!.earned_at?.getTime()).toBe(ms(unlockedAt));
      } else {
        expect(unlock, `no unlock ${id}/${a.id}`).toBeUndefined();
      }
    });

    const p = progress.find((r) => r.platform_game_id === id)!;
    expect(p.achievements_earned).toBe(title.earnedCount);
    expect(p.achievements_total).toBe(d.achievementCount);
    // Gamerscore is Xbox's own (titlehub's currentGamerscore / totalGamerscore / progressPercentage).
    expect(p.points_earned).toBe(title.currentGamerscore);
    expect(p.points_total).toBe(d.totalGamerscore);
    expect(Number(p.completion_percentage)).toBe(d.totalGamerscore > 0 ? Math.round((100 * title.currentGamerscore) / d.totalGamerscore) : 0);
    expect(p.last_played_at?.getTime()).toBe(ms(title.progress.lastPlayed));
  }
  expect(achievements).toHaveLength(expectedAchievements);
  expect(unlocks).toHaveLength(expectedUnlocks);
  return { titles: owned.length, achievements: expectedAchievements, unlocks: expectedUnlocks, x360Titles: owned.filter((t) => t.definition.kind === 'x360').length };
}
