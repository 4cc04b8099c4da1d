import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiOverWorkerHarness, type ApiOverWorkerHarness } from '../../api/test/support/api-over-worker-harness.ts';
import { subscribeSyncEvents, type SyncEvent } from '@ach/queue';
import { parityBreaches as parityViolations } from '@ach/library';
import { createSteamSyncHarness, type SteamSyncHarness } from './support/steam-sync-harness.ts';

const JWT_SECRET = 'worker-steam-e2e-secret-of-at-least-32-chars';
const STEAM_ID = '76561198000000401';

let h: SteamSyncHarness;
let app: FastifyInstance;
let api: ApiOverWorkerHarness;

beforeAll(async () => {
  h = await createSteamSyncHarness([
    { steamId: STEAM_ID, options: { games: 15, achievementsPerGame: 12, hiddenRatio: 0.2, noStatsRatio: 0.15, earnedRatio: 0.45, vanity: 'e2e-player' } },
  ]);
  api = await startApiOverWorkerHarness(h, { jwtSecret: JWT_SECRET, linkingEnv: { STEAM_API_KEY: h.env.STEAM_API_KEY } });
  app = api.app;
  await h.startWorker();
});

afterAll(async () => {
  await api?.close();
  await h?.close();
});

const bearer = (userId: string) => api.bearer(userId);

describe('end to end through the API', () => {
  it('signup → link Steam → POST /sync/steam → worker → succeeded, with exactly the sandbox library stored', async () => {
    const userId = randomUUID();
    await sql`insert into auth.users (id, email, email_confirmed_at) values (${userId}, 'e2e@example.test', now())`.execute(h.db);
    // The signup trigger (migration 0002) makes public.users; without it, do what it would.
    await sql`insert into public.users (id, email, username) values (${userId}, 'e2e@example.test', ${`e2e_${userId.slice(0, 8)}`})
              on conflict (id) do nothing`.execute(h.db);
    const headers = await bearer(userId);

    const link = await app.inject({ method: 'PUT', url: '/accounts/steam', headers, payload: { vanity: 'e2e-player' } });
    expect(link.statusCode, link.body).toBe(200);
    const account = await h.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    expect(account.external_account_id).toBe(STEAM_ID);

    // Live events the SSE route relays: subscribe before asking for the sync.
    const events: SyncEvent[] = [];
    const listener = api.subscriber();
    await subscribeSyncEvents(listener, h.env.QUEUE_PREFIX, userId, (event) => events.push(event));

    const requested = await app.inject({ method: 'POST', url: '/sync/steam', headers, payload: {} });
    expect(requested.statusCode, requested.body).toBe(202);
    const { syncId } = requested.json() as { syncId: string };

    const deadline = Date.now() + 60_000;
    let status: { status: string; progress: number; errorCode?: string | null } = { status: 'queued', progress: 0 };
    while (status.status !== 'succeeded' && status.status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await app.inject({ method: 'GET', url: '/sync/steam/status', headers });
      expect(res.statusCode, res.body).toBe(200);
      status = res.json();
    }
    expect(status).toMatchObject({ status: 'succeeded', progress: 100 });
    expect(events.map((e) => e.status)).toContain('running');
    expect(events.at(-1)).toMatchObject({ syncId, status: 'succeeded', progress: 100 });

    // Exactly what the sandbox holds: every game, definition (rarity, hidden, icons) and unlock, nothing else.
    const library = h.sandbox.state.steam.library(STEAM_ID)!;
    const games = await h.db.selectFrom('games').select(['platform_game_id', 'name', 'achievements_total']).orderBy('platform_game_id').execute();
    expect(games.map((g) => g.platform_game_id).sort()).toEqual(library.games.map((g) => String(g.appid)).sort());
    const expectedAchievements = library.games.flatMap((g) => h.sandbox.state.steam.game(g.appid)!.achievements.map((a) => ({ g, a })));
    const achievements = await h.db.selectFrom('achievements').selectAll().execute();
    expect(achievements).toHaveLength(expectedAchievements.length);
    for (const { g, a } of expectedAchievements) {
      const row = achievements.find((r) => r.platform_game_id === String(g.appid) && r.platform_achievement_id === a.apiname);
      expect(row, `${g.appid}/${a.apiname}`).toBeDefined();
      expect(row!.hidden).toBe(a.hidden);
      expect(row!.icon_url).toContain(a.iconHash);
      expect(row!.icon_locked_url).toContain(a.iconGrayHash);
      expect(row!.rarity_percentage).not.toBeNull();
    }
    const unlocks = await h.db.selectFrom('user_achievements').select(['platform_game_id', 'platform_achievement_id']).where('user_id', '=', userId).execute();
    const expectedUnlocks = library.games.flatMap((g) => g.achievements.filter((a) => a.achieved).map((a) => `${g.appid}/${a.apiname}`));
    expect(unlocks.map((u) => `${u.platform_game_id}/${u.platform_achievement_id}`).sort()).toEqual(expectedUnlocks.sort());
    expect(await parityViolations(h.db)).toEqual([]);

    // And the app reads it back through the API.
    const mine = await app.inject({ method: 'GET', url: '/me/games?platform=steam&limit=100', headers });
    expect(mine.statusCode, mine.body).toBe(200);
  });
});
