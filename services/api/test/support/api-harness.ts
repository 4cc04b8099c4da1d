import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { createCredentialCipher } from '@ach/crypto';
import type { Platform } from '@ach/db';
import { builtinPlatformRegistry, type PlatformRegistry } from '@ach/platform-registry';
import { createLogger } from '@ach/observability';
import type { Queue } from 'bullmq';
import { createRedisConnection, createSyncQueues, type SyncJob, type RedisClient } from '@ach/queue';
import { createTestDatabase, createTestRedis, type TestDatabase } from '@ach/testing';
import type { ApiConfig } from '../../src/api-env.ts';
import { createApp, type AppDeps, type AppOptions } from '../../src/app.ts';
import type { AccountLinking } from '../../src/linking/account-linking.ts';
import { startJwksServer, type JwksServer } from './jwks-server.ts';

export const JWT_SECRET = 'test-secret-with-at-least-32-characters!!';
export const AUDIENCE = 'authenticated';

/** Collects every log line the app writes, so a test can scan them for secrets. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    callback();
  }
  text(): string {
    return this.lines.join('');
  }
}

const refusingLinking: AccountLinking = {
  link: async () => {
    throw new Error('linking not wired in this test');
  },
};

export interface HarnessOptions {
  app?: AppOptions;
  config?: Partial<ApiConfig>;
  linking?: AccountLinking;
  /** The platforms the app serves (default: the built-in ones). */
  platforms?: PlatformRegistry;
  /** Redis to use instead of the shared test Redis (e.g. startOwnRedis()). */
  redisUrl?: string;
  /** Which keys the app verifies with (default both: HS256 secret and the local JWKS). */
  jwtKeys?: 'both' | 'jwks-only';
  /** Reuse a database across several apps in one file. */
  database?: TestDatabase;
}

/** The built-in platforms' queues by name (a custom registry must include them, as the default does). */
export type HarnessQueues = AppDeps['queues'] & Readonly<Record<'psn' | 'xbox' | 'steam', Queue<SyncJob>>>;

export interface ApiHarness {
  app: FastifyInstance;
  deps: AppDeps & { queues: HarnessQueues };
  db: TestDatabase['db'];
  database: TestDatabase;
  logs: LogCapture;
  jwks: JwksServer;
  prefix: string;
  redisUrl: string;
  /** Inserts auth.users + public.users rows; returns the id. */
  createUser: (options?: { email?: string; withProfile?: boolean }) => Promise<string>;
  /** A platform_accounts row without credentials (enough to request syncs). */
  linkAccount: (userId: string, platform: Platform) => Promise<void>;
  token: (userId: string, claims?: Record<string, unknown>, options?: { expiresIn?: string | number; audience?: string }) => Promise<string>;
  bearer: (userId: string) => Promise<{ authorization: string }>;
  /** The connections the app opened through `deps.createSubscriber`, oldest first. */
  subscribers: readonly RedisClient[];
  close: () => Promise<void>;
}

export async function createApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const database = options.database ?? (await createTestDatabase());
  const testRedis = createTestRedis();
  const redisUrl = options.redisUrl ?? testRedis.url;
  const jwks = await startJwksServer();
  const logs = new LogCapture();
  const log = createLogger({ name: 'api-test', level: 'info', destination: logs });
  // Named after the file's prefix, so a test can find this app's own clients in CLIENT LIST.
  const redis = createRedisConnection(redisUrl, 'producer', { commandTimeout: 1_000, connectionName: `${testRedis.prefix}:api-producer` });
  const platforms = options.platforms ?? builtinPlatformRegistry();
  const queues = createSyncQueues(platforms.slugs, { connection: redis, prefix: testRedis.prefix }) as HarnessQueues;
  const subscribers: RedisClient[] = [];
  const deps: ApiHarness['deps'] = {
    db: database.db,
    platforms,
    queues,
    redis,
    createSubscriber: () => {
      const subscriber = createRedisConnection(redisUrl, 'subscriber', { connectionName: `${testRedis.prefix}:api-subscriber` });
      subscribers.push(subscriber);
      return subscriber;
    },
    cipher: createCredentialCipher({ key: randomBytes(32).toString('base64') }),
    log,
    config: {
      queuePrefix: testRedis.prefix,
      jwt: options.jwtKeys === 'jwks-only' ? { jwksUrl: jwks.url, audience: AUDIENCE } : { secret: JWT_SECRET, jwksUrl: jwks.url, audience: AUDIENCE },
      // POST /admin/quality/run: the monitor's defaults.
      quality: { databaseUrl: database.url, settings: { autoBackfill: true, stuckSyncAfterMs: 1_800_000, queueMaxWaitMs: 900_000 } },
      ...options.config,
    },
    linking: options.linking ?? refusingLinking,
  };
  const app = await createApp(deps, { docs: true, rateLimit: { syncMax: 1_000, linkMax: 1_000 }, ...options.app });
  await app.ready();
  // The producer fails fast until connected (no offline queue): a test's first request must not race
  // its handshake (CLIENT SETNAME adds a round trip).
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const giveUp = setTimeout(resolve, 10_000);
      redis.once('ready', () => {
        clearTimeout(giveUp);
        resolve();
      });
    });
  }

  const token: ApiHarness['token'] = async (userId, claims = {}, tokenOptions = {}) =>
    new SignJWT({ role: 'authenticated', email: `${userId.slice(0, 8)}@example.test`, ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setAudience(tokenOptions.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(tokenOptions.expiresIn ?? '1h')
      .sign(new TextEncoder().encode(JWT_SECRET));

  return {
    app,
    deps,
    db: database.db,
    database,
    logs,
    jwks,
    prefix: testRedis.prefix,
    redisUrl,
    token,
    bearer: async (userId) => ({ authorization: `Bearer ${await token(userId)}` }),
    subscribers,
    createUser: async ({ email, withProfile = true } = {}) => {
      const id = randomUUID();
      await sql`insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data)
                values (${id}::uuid, ${email ?? `${id.slice(0, 8)}@example.test`}, now(), '{"full_name":"Test User"}'::jsonb)`.execute(database.db);
      if (withProfile) {
        // The signup trigger may already have created it (migration 0002+); either way one row.
        await sql`insert into public.users (id, email, username) values (${id}::uuid, ${email ?? null}, ${`u_${id.replace(/-/g, '').slice(0, 20)}`})
                  on conflict (id) do nothing`.execute(database.db);
      }
      return id;
    },
    linkAccount: async (userId, platform) => {
      await sql`insert into platform_accounts (user_id, platform_id, external_account_id, display_name)
                values (${userId}::uuid, ${platforms.bySlug(platform).id}::smallint, ${`ext-${userId.slice(0, 8)}`}, 'Linked')
                on conflict do nothing`.execute(database.db);
    },
    close: async () => {
      await app.close();
      await Promise.all(Object.values(queues).map((q) => q.close().catch(() => {})));
      redis.disconnect();
      for (const s of subscribers) s.disconnect();
      await jwks.close();
      await testRedis.cleanup().catch(() => {});
      if (!options.database) await database.drop();
    },
  };
}
