import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseUrl } from '@ach/config';
import { createCredentialCipher } from '@ach/crypto';
import { createLogger } from '@ach/observability';
import { createPlatformHttp, PlatformError } from '@ach/platform-clients';
import { builtinPlatforms, createPlatformRegistry, type ClientHooks, type PlatformLinking, type PlatformModule } from '@ach/platform-registry';
import { createRedisConnection, createSyncQueues, syncQueueName, type SyncQueues, type RedisClient } from '@ach/queue';
import { runWorkerProcess, type PlatformAdapter, type WorkerProcess } from '@ach/sync-engine';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, userBearer } from '@ach/testing';
import { createApp } from '../src/app.ts';
import { createPlatformLinking } from '../src/linking/platform-linking.ts';

/**
 * The acceptance test of the platform registry: "Retro Arcade", a platform that exists only in this
 * file (its HTTP service, client, adapter, linking and env piece), is registered next to the built-in
 * ones, linked through `PUT /accounts/retro`, synced through `POST /sync/retro` and a worker started
 * with `runWorkerProcess`, and read back through `GET /me/games?platform=retro` — with no file
 * outside this one knowing it exists.
 */

const RETRO_ID = 4;
const API_KEY = 'retro-server-key';
const JWT_SECRET = 'fourth-platform-test-secret-of-32-chars!';
const HANDLE = 'ada';
const PIN = '1815';

// ---- The platform's own service (what would be the real host) -------------------------------

interface RetroGame {
  title: string;
  achievements: { code: string; title: string; description: string; secret: boolean; rarity: number }[];
}

const CATALOGUE: Record<string, RetroGame> = {
  'pac-1980': {
    title: 'Pellet Muncher',
    achievements: [
      { code: 'FIRST_FRUIT', title: 'First fruit', description: 'Eat a cherry', secret: false, rarity: 61.5 },
      { code: 'ALL_GHOSTS', title: 'Ghostbuster', description: 'Eat four ghosts on one energizer', secret: false, rarity: 8.25 },
      { code: 'KILL_SCREEN', title: 'Level 256', description: 'Reach the split screen', secret: true, rarity: 0.5 },
    ],
  },
  'ast-1979': {
    title: 'Rock Splitter',
    achievements: [{ code: 'SAUCER', title: 'Saucer down', description: 'Shoot a small saucer', secret: false, rarity: 22 }],
  },
  'pong-1972': { title: 'Table Tennis', achievements: [] },
};

const PLAYER = {
  id: 'player-0042',
  displayName: 'Ada',
  token: 'retro-session-token-for-ada',
  library: [
    { gameId: 'pac-1980', lastPlayedAt: '2024-05-01T10:00:00.000Z', minutes: 640, unlocks: [{ code: 'FIRST_FRUIT', at: '2024-04-01T09:00:00.000Z' }, { code: 'ALL_GHOSTS', at: '2024-04-20T18:30:00.000Z' }] },
    { gameId: 'ast-1979', lastPlayedAt: '2024-03-10T12:00:00.000Z', minutes: 95, unlocks: [] },
    { gameId: 'pong-1972', lastPlayedAt: null, minutes: 3, unlocks: [] },
  ],
};

/** Calls the service answered, by path: proof that the worker really went over HTTP. */
const served: string[] = [];

function retroService(request: IncomingMessage, response: ServerResponse): void {
  const send = (status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const url = new URL(request.url ?? '/', 'http://retro.local');
  served.push(`${request.method} ${url.pathname}`);
  if (request.headers['x-retro-key'] !== API_KEY) return send(403, { error: 'bad key' });
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    if (request.method === 'POST' && url.pathname === '/v1/sessions') {
      const { handle, pin } = JSON.parse(body || '{}') as { handle?: string; pin?: string };
      if (handle !== HANDLE || pin !== PIN) return send(401, { error: 'wrong handle or pin' });
      return send(200, { playerId: PLAYER.id, displayName: PLAYER.displayName, avatarUrl: null, token: PLAYER.token });
    }
    const game = /^\/v1\/games\/([^/]+)\/achievements$/.exec(url.pathname);
    if (game) {
      const entry = CATALOGUE[game[1]!];
      return entry ? send(200, { achievements: entry.achievements }) : send(404, { error: 'no such game' });
    }
    if (request.headers.authorization !== `Bearer ${PLAYER.token}`) return send(401, { error: 'bad token' });
    if (url.pathname === `/v1/players/${PLAYER.id}/games`) {
      return send(200, { games: PLAYER.library.map(({ gameId, lastPlayedAt, minutes }) => ({ gameId, title: CATALOGUE[gameId]!.title, lastPlayedAt, minutes })) });
    }
    const unlocks = new RegExp(`^/v1/players/${PLAYER.id}/games/([^/]+)/unlocks$`).exec(url.pathname);
    const owned = unlocks && PLAYER.library.find((g) => g.gameId === unlocks[1]);
    if (owned) return send(200, { unlocks: owned.unlocks });
    return send(404, { error: 'not found' });
  });
}

// ---- The platform module: env piece, client, adapter, linking ------------------------------

const retroEnv = z.object({
  RETRO_BASE_URL: baseUrl('https://api.retro-arcade.invalid'),
  RETRO_API_KEY: z.string({ error: 'is required' }).min(1),
});
type RetroEnv = z.output<typeof retroEnv>;

const sessionSchema = z.object({ playerId: z.string(), displayName: z.string(), avatarUrl: z.string().nullable(), token: z.string() });
const gamesSchema = z.object({ games: z.array(z.object({ gameId: z.string(), title: z.string(), lastPlayedAt: z.iso.datetime().nullable(), minutes: z.number().int() })) });
const achievementsSchema = z.object({
  achievements: z.array(z.object({ code: z.string(), title: z.string(), description: z.string(), secret: z.boolean(), rarity: z.number() })),
});
const unlocksSchema = z.object({ unlocks: z.array(z.object({ code: z.string(), at: z.iso.datetime() })) });
const retroCredentials = z.object({ token: z.string() });

function createRetroClient(env: RetroEnv, hooks: ClientHooks) {
  const http = createPlatformHttp({ platform: 'retro', ...hooks });
  const headers = (token?: string): Record<string, string> => ({
    'x-retro-key': env.RETRO_API_KEY,
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  const url = (path: string) => `${env.RETRO_BASE_URL}${path}`;
  return {
    signIn: async (handle: string, pin: string) =>
      (await http.request({ endpoint: 'retro.sessions', url: url('/v1/sessions'), method: 'POST', headers: headers(), body: JSON.stringify({ handle, pin }), schema: sessionSchema })).data,
    games: async (playerId: string, token: string) =>
      (await http.request({ endpoint: 'retro.games', url: url(`/v1/players/${playerId}/games`), headers: headers(token), schema: gamesSchema })).data.games,
    achievements: async (gameId: string) =>
      (await http.request({ endpoint: 'retro.achievements', url: url(`/v1/games/${gameId}/achievements`), headers: headers(), schema: achievementsSchema })).data.achievements,
    unlocks: async (playerId: string, gameId: string, token: string) =>
      (await http.request({ endpoint: 'retro.unlocks', url: url(`/v1/players/${playerId}/games/${gameId}/unlocks`), headers: headers(token), schema: unlocksSchema })).data.unlocks,
  };
}
type RetroClient = ReturnType<typeof createRetroClient>;

function createRetroAdapter(client: RetroClient, platform: PlatformAdapter['platform']): PlatformAdapter {
  const tokenOf = (credentials: unknown) => {
    const parsed = retroCredentials.safeParse(credentials);
    if (!parsed.success) throw new PlatformError({ kind: 'auth', platform: 'retro', endpoint: 'retro.credentials', message: 'no stored session' });
    return parsed.data.token;
  };
  return {
    platform,
    async listTitles(account) {
      const games = await client.games(account.externalAccountId, tokenOf(account.credentials()));
      return {
        complete: true,
        titles: games.map((g) => ({
          platformGameId: g.gameId,
          name: g.title,
          iconUrl: null,
          changeMarker: `${g.lastPlayedAt ?? 'never'}:${g.minutes}`,
          lastPlayedAt: g.lastPlayedAt ? new Date(g.lastPlayedAt) : null,
          playtimeMinutes: g.minutes,
        })),
      };
    },
    async fetchGameMetadata(_account, title) {
      const achievements = await client.achievements(title.platformGameId);
      return {
        achievements: achievements.map((a) => ({
          platformAchievementId: a.code,
          name: a.title,
          description: a.description,
          iconUrl: null,
          iconLockedUrl: null,
          hidden: a.secret,
          points: null,
          type: null,
          rarityPercentage: a.rarity,
        })),
      };
    },
    async fetchUserUnlocks(account, title) {
      const unlocks = await client.unlocks(account.externalAccountId, title.platformGameId, tokenOf(account.credentials()));
      return { unlocks: unlocks.map((u) => ({ platformAchievementId: u.code, earnedAt: new Date(u.at) })) };
    },
  };
}

const retroLinkBody = z.strictObject({ handle: z.string().min(1).max(32), pin: z.string().regex(/^\d{4}$/) });

/** A sign-in with the player's PIN: only the owner can, so the link proves ownership. */
const retroLinking: PlatformLinking<RetroEnv, z.output<typeof retroLinkBody>> = {
  bodySchema: retroLinkBody,
  summary: 'Link Retro Arcade: sign in with handle and PIN; the session token is stored encrypted',
  provesOwnership: true,
  link: async (body, { env }) => {
    const session = await createRetroClient(env, {}).signIn(body.handle, body.pin);
    return { externalAccountId: session.playerId, displayName: session.displayName, avatarUrl: session.avatarUrl, credentials: { token: session.token } };
  },
};

const retro: PlatformModule<RetroEnv, RetroClient> = {
  id: RETRO_ID,
  slug: 'retro',
  displayName: 'Retro Arcade',
  queueName: syncQueueName('retro'),
  env: retroEnv,
  createClient: createRetroClient,
  createAdapter: ({ client, platform }) => createRetroAdapter(client, platform),
  linking: retroLinking,
};

// ---- The system: API with the registry, a worker process for the new module ---------------

let server: Server;
let retroUrl: string;
let t: TestDatabase;
let r: TestRedis;
let producer: RedisClient;
let queues: SyncQueues;
let app: FastifyInstance;
let worker: WorkerProcess;
const subscribers: RedisClient[] = [];
const credentialsKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  server = createServer(retroService);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  retroUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  t = await createTestDatabase();
  r = createTestRedis();
  // What the platform's migration would do: its row in `platforms`.
  await sql`insert into platforms (id, code, name) values (${RETRO_ID}, 'retro', 'Retro Arcade')`.execute(t.db);

  const platforms = createPlatformRegistry([...builtinPlatforms, retro]);
  producer = createRedisConnection(r.url, 'producer');
  queues = createSyncQueues(platforms.slugs, { connection: producer, prefix: r.prefix });
  app = await createApp(
    {
      db: t.db,
      platforms,
      queues,
      redis: producer,
      createSubscriber: () => {
        const subscriber = createRedisConnection(r.url, 'subscriber');
        subscribers.push(subscriber);
        return subscriber;
      },
      cipher: createCredentialCipher({ key: credentialsKey }),
      log: createLogger({ name: 'api-fourth-platform', level: 'silent' }),
      config: { queuePrefix: r.prefix, jwt: { secret: JWT_SECRET, audience: 'authenticated' } },
      linking: createPlatformLinking(platforms, { RETRO_BASE_URL: retroUrl, RETRO_API_KEY: API_KEY }),
    },
    { docs: false },
  );
  await app.ready();
  await waitUntilReady(producer);

  worker = await runWorkerProcess(retro, {
    env: {
      DATABASE_URL: t.url,
      REDIS_URL: r.url,
      QUEUE_PREFIX: r.prefix,
      CREDENTIALS_ENCRYPTION_KEY: credentialsKey,
      LOG_LEVEL: 'silent',
      SHUTDOWN_GRACE_MS: '2000',
      RETRO_BASE_URL: retroUrl,
      RETRO_API_KEY: API_KEY,
    },
  });
});

afterAll(async () => {
  await worker?.close();
  await app?.close();
  for (const queue of Object.values(queues ?? {})) await queue.close();
  producer?.disconnect();
  for (const subscriber of subscribers) subscriber.disconnect();
  await new Promise((resolve) => server?.close(resolve));
  await r?.cleanup();
  await t?.drop();
});

/** The producer fails fast until connected: the first request must not race its handshake. */
async function waitUntilReady(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
}

async function signUp(name: string): Promise<{ userId: string; headers: { authorization: string } }> {
  const email = `${name}@retro.test`;
  const { rows } = await sql<{ id: string }>`insert into auth.users (email, email_confirmed_at) values (${email}, now()) returning id`.execute(t.db);
  const userId = rows[0]!.id;
  // The signup trigger creates public.users; make sure, as POST /users/sync would.
  await sql`insert into public.users (id, email, username) values (${userId}::uuid, ${email}, ${`${name}_retro`}) on conflict (id) do nothing`.execute(t.db);
  return { userId, headers: await userBearer(userId, JWT_SECRET) };
}

describe('a fourth platform registered only in this test', () => {
  it('is linked with PUT /accounts/retro, synced by POST /sync/retro and a runWorkerProcess worker, and listed by GET /me/games?platform=retro', async () => {
    const { userId, headers } = await signUp('ada');

    // Its linking route exists because the module has `linking`; its body schema is the module's.
    const refused = await app.inject({ method: 'PUT', url: '/accounts/retro', headers, payload: { handle: HANDLE } });
    expect(refused.statusCode).toBe(400);
    const wrongPin = await app.inject({ method: 'PUT', url: '/accounts/retro', headers, payload: { handle: HANDLE, pin: '0000' } });
    expect(wrongPin.statusCode).toBe(422);
    expect(wrongPin.json()).toMatchObject({ code: 'invalid_credentials' });

    const linked = await app.inject({ method: 'PUT', url: '/accounts/retro', headers, payload: { handle: HANDLE, pin: PIN } });
    expect(linked.statusCode).toBe(200);
    expect(linked.json()).toMatchObject({ platform: 'retro', externalAccountId: PLAYER.id, displayName: 'Ada', verified: true, syncStatus: 'idle' });
    expect(linked.body).not.toContain(PLAYER.token);
    const stored = await t.db.selectFrom('platform_accounts').select(['platform_id', 'credentials_ciphertext']).where('user_id', '=', userId).executeTakeFirstOrThrow();
    expect(stored.platform_id).toBe(RETRO_ID);
    expect(stored.credentials_ciphertext).not.toContain(PLAYER.token);

    const accepted = await app.inject({ method: 'POST', url: '/sync/retro', headers, payload: { mode: 'full' } });
    expect(accepted.statusCode).toBe(202);
    const { syncId } = accepted.json<{ syncId: string }>();
    expect((await queues.retro!.getJob(syncId))?.data).toEqual({ syncId, userId, platform: 'retro', mode: 'full' });

    let status: { status: string; errorCode: string | null; stats: Record<string, unknown> } | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const res = await app.inject({ method: 'GET', url: '/sync/retro/status', headers });
      status = res.json();
      if (status && ['succeeded', 'failed', 'cancelled'].includes(status.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toMatchObject({ status: 'succeeded', errorCode: null });
    expect(status!.stats).toMatchObject({ gamesSeen: 3, gamesWritten: 3 });
    // The worker went over HTTP to the service, with the stored (decrypted) session token.
    expect(served).toEqual(expect.arrayContaining([`GET /v1/players/${PLAYER.id}/games`, 'GET /v1/games/pac-1980/achievements', `GET /v1/players/${PLAYER.id}/games/pac-1980/unlocks`]));

    const games = await t.db.selectFrom('games').select(['platform_game_id', 'name', 'achievements_total']).where('platform_id', '=', RETRO_ID).orderBy('platform_game_id').execute();
    expect(games).toEqual([
      { platform_game_id: 'ast-1979', name: 'Rock Splitter', achievements_total: 1 },
      { platform_game_id: 'pac-1980', name: 'Pellet Muncher', achievements_total: 3 },
      { platform_game_id: 'pong-1972', name: 'Table Tennis', achievements_total: 0 },
    ]);
    const achievements = await t.db.selectFrom('achievements').select(['platform_achievement_id', 'hidden']).where('platform_id', '=', RETRO_ID).orderBy('platform_achievement_id').execute();
    expect(achievements).toEqual([
      { platform_achievement_id: 'ALL_GHOSTS', hidden: false },
      { platform_achievement_id: 'FIRST_FRUIT', hidden: false },
      { platform_achievement_id: 'KILL_SCREEN', hidden: true },
      { platform_achievement_id: 'SAUCER', hidden: false },
    ]);
    const unlocks = await t.db.selectFrom('user_achievements').select(['platform_achievement_id', 'earned_at']).where('user_id', '=', userId).where('platform_id', '=', RETRO_ID).orderBy('platform_achievement_id').execute();
    expect(unlocks).toEqual([
      { platform_achievement_id: 'ALL_GHOSTS', earned_at: new Date('2024-04-20T18:30:00.000Z') },
      { platform_achievement_id: 'FIRST_FRUIT', earned_at: new Date('2024-04-01T09:00:00.000Z') },
    ]);
    const progress = await t.db
      .selectFrom('user_progress')
      .select(['platform_game_id', 'achievements_earned', 'achievements_total', 'playtime_minutes'])
      .where('user_id', '=', userId)
      .where('platform_id', '=', RETRO_ID)
      .orderBy('platform_game_id')
      .execute();
    expect(progress).toEqual([
      { platform_game_id: 'ast-1979', achievements_earned: 0, achievements_total: 1, playtime_minutes: 95 },
      { platform_game_id: 'pac-1980', achievements_earned: 2, achievements_total: 3, playtime_minutes: 640 },
      { platform_game_id: 'pong-1972', achievements_earned: 0, achievements_total: 0, playtime_minutes: 3 },
    ]);

    const listed = await app.inject({ method: 'GET', url: '/me/games?platform=retro', headers });
    expect(listed.statusCode).toBe(200);
    expect(listed.json<{ items: { platform: string; platformGameId: string; achievementsEarned: number }[] }>().items).toEqual([
      expect.objectContaining({ platform: 'retro', platformGameId: 'pac-1980', name: 'Pellet Muncher', achievementsEarned: 2, achievementsTotal: 3, lastPlayedAt: '2024-05-01T10:00:00.000Z' }),
      expect.objectContaining({ platform: 'retro', platformGameId: 'ast-1979', achievementsEarned: 0, achievementsTotal: 1 }),
      expect.objectContaining({ platform: 'retro', platformGameId: 'pong-1972', lastPlayedAt: null }),
    ]);
    const achievementsRoute = await app.inject({ method: 'GET', url: '/me/games/retro/pac-1980/achievements', headers });
    expect(achievementsRoute.statusCode).toBe(200);
    expect(achievementsRoute.json<{ items: { platformAchievementId: string; earned: boolean }[] }>().items.filter((a) => a.earned).map((a) => a.platformAchievementId).sort()).toEqual(['ALL_GHOSTS', 'FIRST_FRUIT']);
  });

  it('the built-in platforms are still served beside it, and an unregistered slug is still a 400', async () => {
    const { headers } = await signUp('grace');
    expect((await app.inject({ method: 'POST', url: '/sync/nes', headers, payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/me/games?platform=nes', headers })).statusCode).toBe(400);
    const steam = await app.inject({ method: 'POST', url: '/sync/steam', headers, payload: {} });
    expect(steam.statusCode).toBe(409);
    expect(steam.json()).toMatchObject({ code: 'account_not_linked' });
  });
});

