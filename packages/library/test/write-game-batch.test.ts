import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { parityBreaches as parityViolations, writeGameBatch, type GameWrite } from '../src/index.ts';
import { changedKeys, rowVersions } from '@ach/testing';
import { achievement, createUser } from './support/seed.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

function game(id: string, achievements: number, earned: number, marker = '1'): GameWrite {
  const defs = Array.from({ length: achievements }, (_, i) => achievement(`${id}_${i}`, { rarityPercentage: 100 / (i + 2) }));
  return {
    title: { platformGameId: id, name: `Game ${id}`, iconUrl: null, changeMarker: marker, lastPlayedAt: null, playtimeMinutes: 10 },
    metadata: { achievements: defs, fetchedAt: new Date('2026-01-01T00:00:00Z') },
    unlocks: defs.slice(0, earned).map((d) => ({ platformAchievementId: d.platformAchievementId, earnedAt: new Date('2025-05-05T00:00:00Z') })),
  };
}

describe('writeGameBatch', () => {
  it('writes duplicates once, skips unknown achievements, keeps parity, and a rerun rewrites nothing', async () => {
    const user = await createUser(t.db);
    const g = game('b1', 4, 2);
    g.unlocks.push(g.unlocks[0]!, { platformAchievementId: 'not-in-schema', earnedAt: null });
    const input = { userId: user, platformId: 3 as const, games: [g, game('b2', 0, 0), g], removeUnreported: false };
    const counts = await writeGameBatch(t.db, input);
    expect(counts.games.inserted).toBe(2);
    expect(counts.achievements.inserted).toBe(4);
    expect(counts.user_achievements.inserted).toBe(2);
    expect(counts.unlocksSkipped).toBe(1);
    expect(counts.user_progress.inserted).toBe(2);
    expect(await parityViolations(t.db)).toEqual([]);

    const before = await rowVersions(t.db, user);
    const again = await writeGameBatch(t.db, input);
    expect(changedKeys(before, await rowVersions(t.db, user))).toEqual([]);
    expect(again.games.updated + again.achievements.updated + again.user_achievements.updated + again.user_progress.updated).toBe(0);
    const rarity = await sql<{ r: number }>`select rarity_percentage as r from achievements where platform_achievement_id = 'b1_1'`.execute(t.db);
    expect(rarity.rows[0]!.r).toBe(33.333);
  });

  it('handles a batch far beyond the 65,535 bind-parameter limit in one transaction', async () => {
    const user = await createUser(t.db);
    const games = Array.from({ length: 300 }, (_, i) => game(`big${i}`, 100, 60));
    const counts = await writeGameBatch(t.db, { userId: user, platformId: 3, games, removeUnreported: false });
    expect(counts.achievements.inserted).toBe(30_000);
    expect(counts.user_achievements.inserted).toBe(18_000);
    expect(await parityViolations(t.db)).toEqual([]);
  });

  it("stores the platform's own completion, points and progress data, and computes them only where it gives none", async () => {
    const user = await createUser(t.db);
    const own = game('own', 4, 1, 'm1');
    own.title.progress = { completionPercentage: 77, pointsEarned: 120, pointsTotal: 1000, data: { earnedByGrade: { bronze: 1 } } };
    const computed = game('computed', 4, 1, 'm2');
    await writeGameBatch(t.db, { userId: user, platformId: 3, games: [own, computed], removeUnreported: false });
    const rows = await sql<{ id: string; completion: string; points_earned: number | null; points_total: number | null; earned: number; data: Record<string, unknown> }>`
      select platform_game_id as id, completion_percentage::text as completion, points_earned, points_total, achievements_earned as earned, platform_specific_data as data
        from user_progress where user_id = ${user} order by platform_game_id`.execute(t.db);
    expect(rows.rows).toEqual([
      { id: 'computed', completion: '25.00', points_earned: null, points_total: null, earned: 1, data: { changeMarker: 'm2' } },
      { id: 'own', completion: '77.00', points_earned: 120, points_total: 1000, earned: 1, data: { changeMarker: 'm1', earnedByGrade: { bronze: 1 } } },
    ]);
    expect(await parityViolations(t.db)).toEqual([]);
  });
});
