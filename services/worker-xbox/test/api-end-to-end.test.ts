import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiOverWorkerHarness, type ApiOverWorkerHarness } from '../../api/test/support/api-over-worker-harness.ts';
import { subscribeSyncEvents, type SyncEvent } from '@ach/queue';
import { parityBreaches } from '@ach/library';
import { createXboxSyncHarness, type XboxSyncHarness } from './support/xbox-sync-harness.ts';
import { expectMirrorsSandbox } from './support/xbox-mirror.ts';

const JWT_SECRET = 'worker-xbox-e2e-secret-of-at-least-32-chars';
const XUID = '2535477777777777';
const REFRESH_TOKEN = 'sandbox-msa-e2e-player';

let h: XboxSyncHarness;
let app: FastifyInstance;
let api: ApiOverWorkerHarness;

beforeAll(async () => {
  h = await createXboxSyncHarness();
  // A mixed library: Xbox One/Series and Xbox 360 titles, secret achievements, rarity on every one.
  h.sandbox.state.xbox.addAccount({
    refreshToken: REFRESH_TOKEN,
    xuid: XUID,
    gamertag: 'E2ePlayer',
    userHash: '5555555555555555555',
    library: { titles: 20, achievementsPerTitle: 15, x360Ratio: 0.3, earnedRatio: 0.45 },
  });
  api = await startApiOverWorkerHarness(h, { jwtSecret: JWT_SECRET, linkingEnv: h.rawEnv });
  app = api.app;
  await h.startWorker();
});

afterAll(async () => {
  await api?.close();
  await h?.close();
});

const bearer = (userId: string) => api.bearer(userId);

describe('end to end through the API', () => {
  it('signup → PUT /accounts/xbox → POST /sync/xbox → worker → succeeded: every title (360 included), achievement, unlock and rarity of the sandbox, Xbox’s gamerscore', async () => {
    const userId = randomUUID();
    await sql`insert into auth.users (id, email, email_confirmed_at) values (${userId}, 'xbox-e2e@example.test', now())`.execute(h.db);
    // The signup trigger (migration 0002) makes public.users; without it, do what it would.
    await sql`insert into public.users (id, email, username) values (${userId}, 'xbox-e2e@example.test', ${`x_${userId.slice(0, 8)}`})
              on conflict (id) do nothing`.execute(h.db);
    const headers = await bearer(userId);

    const link = await app.inject({ method: 'PUT', url: '/accounts/xbox', headers, payload: { refreshToken: REFRESH_TOKEN } });
    expect(link.statusCode, link.body).toBe(200);
    expect(link.body).not.toContain(REFRESH_TOKEN);
    const account = await h.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    expect([account.external_account_id, account.display_name, account.verified]).toEqual([XUID, 'E2ePlayer', true]);

    const events: SyncEvent[] = [];
    const listener = api.subscriber();
    await subscribeSyncEvents(listener, h.env.QUEUE_PREFIX, userId, (event) => events.push(event));

    const requested = await app.inject({ method: 'POST', url: '/sync/xbox', headers, payload: {} });
    expect(requested.statusCode, requested.body).toBe(202);
    const { syncId } = requested.json() as { syncId: string };

    const deadline = Date.now() + 90_000;
    let status: { status: string; progress: number; errorCode?: string | null } = { status: 'queued', progress: 0 };
    while (status.status !== 'succeeded' && status.status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await app.inject({ method: 'GET', url: '/sync/xbox/status', headers });
      expect(res.statusCode, res.body).toBe(200);
      status = res.json();
    }
    expect(status).toMatchObject({ status: 'succeeded', progress: 100 });
    expect(events.map((e) => e.status)).toContain('running');
    expect(events.at(-1)).toMatchObject({ syncId, status: 'succeeded', progress: 100 });

    // Exactly the sandbox's library: titles, definitions (rarity, secret, gamerscore), unlocks, Xbox's progress.
    const stored = await expectMirrorsSandbox(h.db, h.sandbox, userId, XUID);
    expect(stored).toMatchObject({ titles: 20, x360Titles: 6, achievements: 300 });
    expect(await parityBreaches(h.db)).toEqual([]);

    // And the app reads it back: gamerscore per title is Xbox's, rarity on every achievement.
    const mine = await app.inject({ method: 'GET', url: '/me/games?platform=xbox&limit=100', headers });
    expect(mine.statusCode, mine.body).toBe(200);
    const games = (mine.json() as { items: { platformGameId: string; pointsEarned: number | null; pointsTotal: number | null }[] }).items;
    const library = h.sandbox.state.xbox.library(XUID)!;
    expect(games).toHaveLength(20);
    for (const game of games) {
      const title = library.title(Number(game.platformGameId))!;
      expect([game.pointsEarned, game.pointsTotal]).toEqual([title.currentGamerscore, title.definition.totalGamerscore]);
    }
    const x360 = library.titles().find((t) => t.definition.kind === 'x360' && t.earnedCount > 0)!;
    const achievements = await app.inject({ method: 'GET', url: `/me/games/xbox/${x360.definition.titleId}/achievements`, headers });
    expect(achievements.statusCode, achievements.body).toBe(200);
    const items = (achievements.json() as { items: { rarityPercentage: number | null; earned: boolean }[] }).items;
    expect(items).toHaveLength(15);
    expect(items.every((a) => typeof a.rarityPercentage === 'number')).toBe(true);
    expect(items.filter((a) => a.earned)).toHaveLength(x360.earnedCount);
  });
});
