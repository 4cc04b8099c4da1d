import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiOverWorkerHarness, type ApiOverWorkerHarness } from '../../api/test/support/api-over-worker-harness.ts';
import { parityBreaches } from '@ach/library';
import { createPsnSyncHarness, type PsnSyncHarness, type PsnTestAccount } from './support/psn-sync-harness.ts';
import { differencesFromSandbox } from './support/psn-expectations.ts';

const JWT_SECRET = 'worker-psn-e2e-secret-of-at-least-32-chars';

let h: PsnSyncHarness;
let app: FastifyInstance;
let api: ApiOverWorkerHarness;
let account: PsnTestAccount;

beforeAll(async () => {
  h = await createPsnSyncHarness();
  // Two blocks of the catalogue: both generations, DLC groups, hidden trophies, platinums (1,000 trophies).
  account = h.addAccount({ titles: 40, earnedRatio: 0.55 });
  api = await startApiOverWorkerHarness(h, { jwtSecret: JWT_SECRET });
  app = api.app;
  await h.startWorker();
});

afterAll(async () => {
  await api?.close();
  await h?.close();
});

const bearer = (userId: string) => api.bearer(userId);

describe('end to end through the API', () => {
  it('signup → PUT /accounts/psn (NPSSO) → POST /sync/psn → worker → succeeded: every title, trophy, group, unlock and rarity lands, user_progress is PSN’s own', async () => {
    const userId = randomUUID();
    await sql`insert into auth.users (id, email, email_confirmed_at) values (${userId}, 'psn-e2e@example.test', now())`.execute(h.db);
    await sql`insert into public.users (id, email, username) values (${userId}, 'psn-e2e@example.test', ${`e2e_${userId.slice(0, 8)}`})
              on conflict (id) do nothing`.execute(h.db);
    const headers = await bearer(userId);

    const link = await app.inject({ method: 'PUT', url: '/accounts/psn', headers, payload: { npsso: account.npsso } });
    expect(link.statusCode, link.body).toBe(200);
    const linked = await h.db.selectFrom('platform_accounts').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    expect(linked.external_account_id).toBe(account.accountId);

    const requested = await app.inject({ method: 'POST', url: '/sync/psn', headers, payload: {} });
    expect(requested.statusCode, requested.body).toBe(202);
    const { syncId } = requested.json() as { syncId: string };

    const deadline = Date.now() + 60_000;
    let status: { status: string; progress: number; errorCode?: string | null } = { status: 'queued', progress: 0 };
    while (status.status !== 'succeeded' && status.status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await app.inject({ method: 'GET', url: '/sync/psn/status', headers });
      expect(res.statusCode, res.body).toBe(200);
      status = res.json();
    }
    expect(status).toMatchObject({ status: 'succeeded', progress: 100 });

    expect(await differencesFromSandbox(h.db, h.sandbox, account.accountId, userId)).toEqual([]);
    expect(await parityBreaches(h.db)).toEqual([]);

    // Both console generations, each asked with its own npServiceName (the other one would be a 404),
    // and ONE user call per title: the earned state and the rarity come from the same answer.
    const library = h.sandbox.state.psn.trophies.view(account.accountId, false)!;
    expect(new Set(library.titles.map((t) => t.npServiceName))).toEqual(new Set(['trophy', 'trophy2']));
    for (const title of library.titles) {
      const asked = { npCommunicationId: title.npCommunicationId, npServiceName: title.npServiceName };
      expect(h.sandbox.state.calls.count('psn.userTrophies', asked), title.npCommunicationId).toBe(1);
      expect(h.sandbox.state.calls.count('psn.titleTrophies', asked), title.npCommunicationId).toBe(1);
      expect(h.sandbox.state.calls.count('psn.userTrophies', { npCommunicationId: title.npCommunicationId })).toBe(1);
    }
    const run = await h.run(syncId);
    expect(run.stats).toMatchObject({ gamesSeen: 40, gamesWritten: 40, gamesSkipped: 0, apiCallsFailed: 0 });
    expect(run.stats.apiCalls['psn.trophyTitles']).toBe(1);

    // And the app reads it back through the API.
    const mine = await app.inject({ method: 'GET', url: '/me/games?platform=psn&limit=100', headers });
    expect(mine.statusCode, mine.body).toBe(200);
    expect((mine.json() as { items: unknown[] }).items).toHaveLength(40);
  });
});
