import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { sql, type Kysely } from 'kysely';
import { createCredentialCipher } from '@ach/crypto';
import type { Database } from '@ach/db';
import { writeGameBatch, type GameWrite } from '@ach/library';
import { createLogger } from '@ach/observability';
import { builtinPlatformRegistry } from '@ach/platform-registry';
import { createRedisConnection, createSyncQueues, deletePrefixedKeys } from '@ach/queue';
import { createApp } from '../../services/api/src/app.ts';
import { createBenchDatabase, createBenchUser, vacuumAnalyze } from '../bench-database.ts';
import type { BenchResult, BenchScenario } from '../bench-result.ts';

/**
 * `POST /sync-pull` over HTTP (the API in this process, JWT verification and all) for a user with
 * 1,000 games × 50 achievements and 25,000 unlocks — a first pull and a no-change pull — each beside
 * a bare `SELECT … json_agg` of the same rows read over the Postgres socket in the same run. Another
 * user's library of the same size shares the tables, so the shared games/achievements are not
 * only the caller's. Medians of several runs, alternating the two sides.
 */
const SECRET = 'bench-jwt-secret-bench-jwt-secret-123456';
const GAMES_PER_BATCH = 50;

function library(games: number, achievements: number, earned: number, prefix: string): GameWrite[] {
  return Array.from({ length: games }, (_, g) => {
    const id = `${prefix}${10 * (g + 1)}`;
    const defs = Array.from({ length: achievements }, (_, a) => ({
      platformAchievementId: `ACH_${id}_${a}`,
      name: `Achievement ${a} of ${id}`,
      description: a % 7 === 0 ? null : `Do the thing number ${a}`,
      iconUrl: `https://cdn.example/apps/${id}/${a}.jpg`,
      iconLockedUrl: `https://cdn.example/apps/${id}/${a}-gray.jpg`,
      hidden: a % 10 === 0,
      points: null,
      type: null,
      rarityPercentage: Math.round((100 / (a + 1.5)) * 1000) / 1000,
    }));
    return {
      title: { platformGameId: id, name: `Game ${id}`, iconUrl: `https://cdn.example/apps/${id}.jpg`, changeMarker: `1700000000:${g}`, lastPlayedAt: new Date(1_700_000_000_000 + g), playtimeMinutes: g },
      metadata: { achievements: defs, fetchedAt: new Date('2026-01-01T00:00:00Z') },
      unlocks: defs.slice(0, earned).map((a, i) => ({ platformAchievementId: a.platformAchievementId, earnedAt: new Date(1_600_000_000_000 + i * 1000) })),
    };
  });
}

async function seed(db: Kysely<Database>, userId: string, games: GameWrite[]) {
  for (let i = 0; i < games.length; i += GAMES_PER_BATCH) {
    await writeGameBatch(db, { userId, platformId: 3, games: games.slice(i, i + GAMES_PER_BATCH), removeUnreported: false });
  }
}

/** The same rows as a pull, each table's rows as they are (`json_agg` of the row), no ids, no millisecond times, no tombstones. */
async function bareQuery(db: Kysely<Database>, userId: string, since: number): Promise<number> {
  const { rows } = await sql<Record<string, string | null>>`
    select
      (select json_agg(u)::text from users u where u.id = ${userId}::uuid and u.sync_xid >= ${since}) as user_profile,
      (select json_agg(pa)::text from platform_accounts pa where pa.user_id = ${userId}::uuid and pa.sync_xid >= ${since}) as platform_accounts,
      (select json_agg(up)::text from user_progress up where up.user_id = ${userId}::uuid and up.sync_xid >= ${since}) as user_progress,
      (select json_agg(ua)::text from user_achievements ua where ua.user_id = ${userId}::uuid and ua.sync_xid >= ${since}) as user_achievements,
      (select json_agg(g)::text from user_progress up join games g on g.platform_id = up.platform_id and g.platform_game_id = up.platform_game_id
        where up.user_id = ${userId}::uuid and (up.sync_xid >= ${since} or g.sync_xid >= ${since})) as games,
      (select json_agg(a)::text from user_progress up join achievements a on a.platform_id = up.platform_id and a.platform_game_id = up.platform_game_id
        where up.user_id = ${userId}::uuid and up.sync_xid >= ${since}) as achievements,
      (select json_agg(s)::text from sync_logs s where s.user_id = ${userId}::uuid and s.sync_xid >= ${since}) as sync_logs,
      (select json_agg(h)::text from trophy_help_requests h where h.profile_id = ${userId}::uuid and h.sync_xid >= ${since}) as trophy_help_requests,
      (select json_agg(f)::text from flex_room_data f where f.profile_id = ${userId}::uuid and f.sync_xid >= ${since}) as flex_room_data
  `.execute(db);
  return Object.values(rows[0]!).reduce((n, text) => n + (text?.length ?? 0), 0);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const timed = async <T,>(fn: () => Promise<T>): Promise<[number, T]> => {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
};

const scenario: BenchScenario = {
  name: 'client-sync-pull',
  async run(ctx) {
    const bench = await createBenchDatabase(ctx.postgresAdminUrl);
    const db = bench.db;
    const prefix = `bench-cs-${randomBytes(3).toString('hex')}`;
    const redis = createRedisConnection(ctx.redisUrl, 'producer', { commandTimeout: 1_000 });
    const platforms = builtinPlatformRegistry();
    const queues = createSyncQueues(platforms.slugs, { connection: redis, prefix });
    let app: FastifyInstance | undefined;
    try {
      const games = Math.max(10, Math.round(1_000 * ctx.scale));
      const userId = await createBenchUser(db, { email: 'puller@example.test', username: 'bench_puller' });
      const otherId = await createBenchUser(db, { email: 'other@example.test', username: 'bench_other' });
      await sql`insert into platform_accounts (user_id, platform_id, external_account_id, display_name) values (${userId}::uuid, 3, '76561198000000001', 'Puller'), (${userId}::uuid, 1, 'psn-1', 'Puller')`.execute(db);
      await sql`insert into sync_logs (user_id, platform_id, status, mode) select ${userId}::uuid, 3, 'succeeded', 'full' from generate_series(1, 30)`.execute(db);
      await seed(db, userId, library(games, 50, 25, ''));
      await seed(db, otherId, library(games, 50, 25, 'o'));
      await vacuumAnalyze(db, ['games', 'achievements', 'user_progress', 'user_achievements', 'users', 'platform_accounts', 'sync_logs', 'deleted_records']);

      app = await createApp({
        db,
        platforms,
        queues,
        redis,
        createSubscriber: () => createRedisConnection(ctx.redisUrl, 'subscriber'),
        cipher: createCredentialCipher({ key: randomBytes(32).toString('base64') }),
        // Each pull writes one log line, as in production; discarded here.
        log: createLogger({ name: 'bench-api', level: 'info', destination: new Writable({ write: (_c, _e, done) => done() }) }),
        config: { queuePrefix: prefix, jwt: { secret: SECRET, audience: 'authenticated' } },
        linking: { link: async () => { throw new Error('not in this bench'); } },
      }, { docs: false, rateLimit: { clientSyncMax: 1_000_000 } });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const token = await new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setAudience('authenticated')
        .setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
      const pull = async (lastPulledAt: number | null) => {
        const res = await fetch(`${url}/sync-pull`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ lastPulledAt, schemaVersion: 1, migration: null }),
        });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`pull answered ${res.status}: ${body.slice(0, 200)}`);
        return body;
      };

      // Warm-up (plans, caches), and the figures the notes report.
      const firstBody = await pull(null);
      const first = JSON.parse(firstBody) as { changes: Record<string, { updated: unknown[] }>; timestamp: number };
      const counts = Object.fromEntries(Object.entries(first.changes).map(([t, c]) => [t, c.updated.length]));
      await bareQuery(db, userId, 0);

      const fullRuns = 7;
      const full: number[] = [];
      const fullBare: number[] = [];
      let bareBytes = 0;
      for (let i = 0; i < fullRuns; i++) {
        full.push((await timed(() => pull(null)))[0]);
        const [ms, bytes] = await timed(() => bareQuery(db, userId, 0));
        fullBare.push(ms);
        bareBytes = bytes;
      }

      // A no-change pull: from a watermark past every write (wait out other transactions of the cluster).
      let watermark = first.timestamp;
      for (let i = 0; i < 100; i++) {
        const body = JSON.parse(await pull(watermark)) as { changes: Record<string, { updated: unknown[]; deleted: unknown[] }>; timestamp: number };
        const changed = Object.values(body.changes).reduce((n, c) => n + c.updated.length + c.deleted.length, 0);
        watermark = body.timestamp;
        if (changed === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const quietRuns = 41;
      const quiet: number[] = [];
      const quietBare: number[] = [];
      for (let i = 0; i < quietRuns; i++) {
        quiet.push((await timed(() => pull(watermark)))[0]);
        quietBare.push((await timed(() => bareQuery(db, userId, watermark)))[0]);
      }

      const fullMs = median(full);
      const fullBareMs = median(fullBare);
      const quietMs = median(quiet);
      const quietBareMs = median(quietBare);
      const rows = Object.values(counts).reduce((n, c) => n + c, 0);
      const results: BenchResult[] = [
        {
          metric: 'first pull (lastPulledAt null), median of 7',
          value: fullMs,
          unit: 'ms',
          baseline: { label: 'bare SELECT json_agg of the same rows over the pg socket', value: fullBareMs },
          target: '≤ 300 ms and ≤ 1.5×',
          met: fullMs <= 300 && fullMs / fullBareMs <= 1.5,
          notes: `${rows} records (${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}); ${(firstBody.length / 1e6).toFixed(1)} MB of JSON vs ${(bareBytes / 1e6).toFixed(1)} MB bare; HTTP with JWT verification, in this process`,
        },
        {
          metric: 'no-change pull, median of 41',
          value: quietMs,
          unit: 'ms',
          baseline: { label: 'bare SELECT json_agg of the rows changed since (none)', value: quietBareMs },
          target: '≤ 10 ms and ≤ 1.5×',
          met: quietMs <= 10 && quietMs / quietBareMs <= 1.5,
          notes: 'the pull also reads the purge horizon and the tombstones since the watermark; the bare query does neither',
        },
      ];
      return results;
    } finally {
      await app?.close();
      await Promise.all(Object.values(queues).map((q) => q.close().catch(() => {})));
      await deletePrefixedKeys(redis, prefix).catch(() => {});
      redis.disconnect();
      await bench.drop();
    }
  },
};

export default scenario;
