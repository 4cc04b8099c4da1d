import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let h: ApiHarness;
let user: string;
beforeAll(async () => {
  h = await createApiHarness();
  user = await h.createUser();
  await sql`
    insert into games (platform_id, platform_game_id, name, achievements_total) values
      (3, '440', 'Team Fortress 2', 3), (3, '620', 'Portal 2', 2), (1, 'NPWR08964_00', 'Bloodborne', 2),
      (2, '219630713', 'Halo', 1), (3, '10', 'Counter-Strike', 0)`.execute(h.db);
  await sql`
    insert into achievements (platform_id, platform_game_id, platform_achievement_id, name, description, hidden, rarity_percentage) values
      (3, '440', 'TF_PLAY_GAME', 'Play', 'Play a game', false, 80.5),
      (3, '440', 'TF_SECRET', 'Secret', 'A secret', true, 1.25),
      (3, '440', 'TF_WIN', 'Win', 'Win a round', false, 45),
      (1, 'NPWR08964_00', '10', 'Ten', 'T', false, 5), (1, 'NPWR08964_00', '2', 'Two', 'T', false, 50)`.execute(h.db);
  await sql`
    insert into user_progress (user_id, platform_id, platform_game_id, achievements_total, achievements_earned, completion_percentage, last_played_at) values
      (${user}::uuid, 3, '440', 3, 1, 33.33, '2024-05-01T00:00:00Z'),
      (${user}::uuid, 3, '620', 2, 0, 0, '2024-05-01T00:00:00Z'),
      (${user}::uuid, 1, 'NPWR08964_00', 2, 0, 0, '2024-06-01T00:00:00Z'),
      (${user}::uuid, 2, '219630713', 1, 0, 0, null),
      (${user}::uuid, 3, '10', 0, 0, 0, null)`.execute(h.db);
  await sql`insert into user_achievements (user_id, platform_id, platform_game_id, platform_achievement_id, earned_at)
            values (${user}::uuid, 3, '440', 'TF_WIN', '2024-04-30T10:00:00Z')`.execute(h.db);
});
afterAll(async () => {
  await h.close();
});

describe('GET /me/games', () => {
  it('lists games with progress in a stable order, paged by cursor without skips or repeats', async () => {
    const seen: { platform: string; platformGameId: string; lastPlayedAt: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const res: LightMyRequestResponse = await h.app.inject({ method: 'GET', url: `/me/games?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: await h.bearer(user) });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items);
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen.map((g) => `${g.platform}:${g.platformGameId}`)).toEqual([
      'psn:NPWR08964_00', 'steam:440', 'steam:620', 'xbox:219630713', 'steam:10',
    ]);
    expect(seen[1]).toMatchObject({ name: 'Team Fortress 2', achievementsTotal: 3, achievementsEarned: 1, completionPercentage: 33.33 });
  });

  it('filters by platform and rejects an unknown one naming the parameter', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/me/games?platform=steam', headers: await h.bearer(user) });
    expect(res.json().items.map((g: { platformGameId: string }) => g.platformGameId)).toEqual(['440', '620', '10']);
    const bad = await h.app.inject({ method: 'GET', url: '/me/games?platform=gog', headers: await h.bearer(user) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('querystring.platform');
    const cursor = await h.app.inject({ method: 'GET', url: '/me/games?cursor=WyJ4Il0', headers: await h.bearer(user) });
    expect(cursor.statusCode).toBe(400);
  });

  it('shows another user nothing of this user\'s games', async () => {
    const other = await h.createUser();
    const res = await h.app.inject({ method: 'GET', url: '/me/games', headers: await h.bearer(other) });
    expect(res.json()).toEqual({ items: [], nextCursor: null });
  });
});

describe('GET /me/games/:platform/:platformGameId/achievements', () => {
  it('returns achievements with earned state and rarity; a hidden unearned one keeps its description', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/me/games/steam/440/achievements', headers: await h.bearer(user) });
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items).toHaveLength(3);
    const win = items.find((a: { platformAchievementId: string }) => a.platformAchievementId === 'TF_WIN');
    expect(win).toMatchObject({ earned: true, earnedAt: '2024-04-30T10:00:00.000Z', rarityPercentage: 45 });
    const secret = items.find((a: { platformAchievementId: string }) => a.platformAchievementId === 'TF_SECRET');
    expect(secret).toMatchObject({ earned: false, earnedAt: null, hidden: true, description: null, rarityPercentage: 1.25 });
  });

  it('orders numeric trophy ids numerically', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/me/games/psn/NPWR08964_00/achievements', headers: await h.bearer(user) });
    expect(res.json().items.map((a: { platformAchievementId: string }) => a.platformAchievementId)).toEqual(['2', '10']);
  });

  it('404 for a game the user does not have (another user\'s game), 400 for an unknown platform', async () => {
    const other = await h.createUser();
    const res = await h.app.inject({ method: 'GET', url: '/me/games/steam/440/achievements', headers: await h.bearer(other) });
    expect(res.statusCode).toBe(404);
    const unknown = await h.app.inject({ method: 'GET', url: '/me/games/gog/440/achievements', headers: await h.bearer(user) });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toContain('params.platform');
  });
});
