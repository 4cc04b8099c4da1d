/**
 * `npm run demo`: the whole system on one machine, no Docker. Migrates DATABASE_URL, starts the platform
 * sandbox, the api, the three workers and the monitor as separate processes (as they run in production),
 * creates a demo user, links all three platforms to sandbox accounts, syncs them, prints what landed,
 * and keeps running until Ctrl-C. Service logs go to .demo/logs/<service>.log.
 *
 * When DATABASE_URL or REDIS_URL does not answer and this machine has postgres / redis-server, it starts
 * a throwaway server instead (scripts/demo/servers-for-demo.ts), says so, and deletes it on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { createDb, migrateToLatest, type Platform } from '@ach/db';
import { builtinPlatforms } from '@ach/platform-registry';
import { DEMO_ACCOUNTS } from '../services/platform-sandbox/src/demo-accounts.ts';
import { postgresForDemo, redactUrl, redisForDemo, type DemoServer } from './demo/servers-for-demo.ts';

const root = join(import.meta.dirname, '..');
// Replaced by a throwaway server's URL when the configured one does not answer.
let databaseUrl = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/achievements';
let redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const apiPort = Number(process.env.PORT ?? 3000);
const sandboxPort = Number(process.env.SANDBOX_PORT ?? 4010);
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
const apiUrl = `http://127.0.0.1:${apiPort}`;
const jwtSecret = process.env.SUPABASE_JWT_SECRET ?? randomBytes(32).toString('base64url');
const bullBoardPassword = process.env.BULL_BOARD_PASSWORD ?? randomBytes(18).toString('base64url');
const logDir = join(root, '.demo', 'logs');

const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  QUEUE_PREFIX: process.env.QUEUE_PREFIX ?? 'ach',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  PORT: String(apiPort),
  SANDBOX_PORT: String(sandboxPort),
  CREDENTIALS_ENCRYPTION_KEY: process.env.CREDENTIALS_ENCRYPTION_KEY ?? randomBytes(32).toString('base64'),
  SUPABASE_JWT_SECRET: jwtSecret,
  BULL_BOARD_USER: process.env.BULL_BOARD_USER ?? 'admin',
  BULL_BOARD_PASSWORD: bullBoardPassword,
  STEAM_API_KEY: process.env.STEAM_API_KEY ?? DEMO_ACCOUNTS.steam.apiKey,
  XBOX_CLIENT_ID: process.env.XBOX_CLIENT_ID ?? DEMO_ACCOUNTS.xbox.clientId,
  STEAM_API_BASE_URL: sandboxUrl,
  PSN_AUTH_BASE_URL: sandboxUrl,
  PSN_API_BASE_URL: sandboxUrl,
  XBOX_MSA_BASE_URL: sandboxUrl,
  XBOX_USER_AUTH_BASE_URL: sandboxUrl,
  XBOX_XSTS_BASE_URL: sandboxUrl,
  XBOX_ACHIEVEMENTS_BASE_URL: sandboxUrl,
  XBOX_TITLEHUB_BASE_URL: sandboxUrl,
  XBOX_PROFILE_BASE_URL: sandboxUrl,
  // Steam sign-in: the browser goes to the sandbox's login page and comes back to this API.
  STEAM_OPENID_BASE_URL: sandboxUrl,
  PUBLIC_BASE_URL: apiUrl,
};

const children: { name: string; child: ChildProcess }[] = [];
const servers: DemoServer[] = [];

function start(name: string, entry: string): void {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  // Detached: in a process group of its own, so the terminal's Ctrl-C (SIGINT to the whole foreground
  // group) reaches only us and the service gets our one SIGTERM — a second signal makes it quit at once.
  const child = spawn(process.execPath, [join(root, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${name} exited (${code ?? signal}); see ${join(logDir, `${name}.log`)}`);
  });
  children.push({ name, child });
}

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function ensureDatabase(): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
  if (exists.rowCount === 0) await admin.query(`create database "${name.replace(/"/g, '""')}"`);
  await admin.end();
}

/** The configured servers, or throwaway ones standing in for those that do not answer. */
async function pickServers(): Promise<void> {
  const postgres = await postgresForDemo(databaseUrl);
  servers.push(postgres);
  if (postgres.notice) console.log(postgres.notice);
  const redis = await redisForDemo(redisUrl);
  servers.push(redis);
  if (redis.notice) console.log(redis.notice);
  databaseUrl = env.DATABASE_URL = postgres.url;
  redisUrl = env.REDIS_URL = redis.url;
}
let picking: Promise<void> = Promise.resolve();

let stopping = false;
/** SIGTERM to every service, then the throwaway servers go; false when a service did not stop cleanly. */
async function stopAll(): Promise<boolean> {
  stopping = true;
  const clean = await Promise.all(
    children.map(
      ({ name, child }) =>
        new Promise<boolean>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
          const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
          child.once('exit', (code, signal) => {
            clearTimeout(force);
            if (code !== 0) console.error(`${name} did not stop cleanly (${code ?? signal}); see ${join(logDir, `${name}.log`)}`);
            resolve(code === 0);
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  // After the services: they close their connections before the servers go. A Ctrl-C while a
  // throwaway server is still starting waits for it, so it is removed too.
  await picking.catch(() => {});
  for (const server of servers.splice(0)) await server.remove().catch((error: unknown) => console.error(`removing a throwaway server: ${(error as Error).message}`));
  return clean.every(Boolean);
}

async function api<T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as T };
}

mkdirSync(logDir, { recursive: true });
let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C: stop waiting for the services (the throwaway servers are still removed).
    if (signalled) return void children.forEach(({ child }) => child.kill('SIGKILL'));
    signalled = true;
    void stopAll().then((clean) => process.exit(clean ? 0 : 1));
  });
}
// Last resort when we exit without stopAll (a crash): detached services would otherwise outlive us.
process.on('exit', () => children.forEach(({ child }) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));

try {
  picking = pickServers();
  await picking;
  await ensureDatabase();
  const db = createDb(databaseUrl, { max: 4, applicationName: 'demo' });
  await migrateToLatest(db, databaseUrl);
  console.log(`migrated ${redactUrl(databaseUrl)}`);

  start('sandbox', 'services/platform-sandbox/src/server.ts');
  await waitUntil('the platform sandbox', async () => ((await fetch(`${sandboxUrl}/__sandbox/health`)).ok ? true : undefined), 20_000);
  start('api', 'services/api/src/server.ts');
  // One worker per registered platform, each in services/worker-<slug>.
  for (const { slug } of builtinPlatforms) start(`worker-${slug}`, `services/worker-${slug}/src/main.ts`);
  start('monitor', 'services/monitor/src/main.ts');
  await waitUntil('the api', async () => ((await fetch(`${apiUrl}/ready`)).ok ? true : undefined), 30_000);

  // The demo user signs up the way Supabase does it: a row in auth.users; the trigger creates public.users.
  const email = 'demo@achievement-sync.local';
  // auth.users does not make e-mails unique: look the demo user up first, so reruns reuse it.
  const user =
    (await db.selectFrom('auth.users').select('id').where('email', '=', email).orderBy('created_at').executeTakeFirst()) ??
    (await db
      .insertInto('auth.users')
      .values({ email, email_confirmed_at: new Date(), raw_user_meta_data: JSON.stringify({ full_name: 'Demo Player' }) })
      .returning('id')
      .executeTakeFirstOrThrow());
  const token = await new SignJWT({ role: 'authenticated', email })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setAudience('authenticated')
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(jwtSecret));

  const links: Record<Platform, unknown> = {
    psn: { npsso: DEMO_ACCOUNTS.psn.npsso },
    xbox: { refreshToken: DEMO_ACCOUNTS.xbox.refreshToken },
    steam: { steamId: DEMO_ACCOUNTS.steam.steamId },
  };
  for (const { slug: platform } of builtinPlatforms) {
    const linked = await api<{ displayName?: string; code?: string; detail?: string }>('PUT', `/accounts/${platform}`, token, links[platform]);
    console.log(`linked ${platform}: ${linked.status} ${linked.body.displayName ?? linked.body.code ?? ''}`);
  }
  for (const { slug: platform } of builtinPlatforms) {
    const sync = await api<{ syncId?: string }>('POST', `/sync/${platform}`, token, { mode: 'full' });
    console.log(`sync ${platform}: ${sync.status} ${sync.body.syncId ?? ''}`);
  }

  type Status = { status: string; progress: number; errorCode?: string | null };
  for (const { slug: platform, id: platformId } of builtinPlatforms) {
    const final = await waitUntil(
      `${platform} sync`,
      async () => {
        const res = await api<Status>('GET', `/sync/${platform}/status`, token);
        return ['succeeded', 'failed', 'cancelled'].includes(res.body.status) ? res.body : undefined;
      },
      120_000,
    ).catch(async () => (await api<Status>('GET', `/sync/${platform}/status`, token)).body);
    const counts = await db
      .selectFrom('user_progress')
      .where('user_id', '=', user.id)
      .where('platform_id', '=', platformId)
      .select((eb) => [eb.fn.countAll<number>().as('games'), eb.fn.sum<number>('achievements_total').as('achievements'), eb.fn.sum<number>('achievements_earned').as('earned')])
      .executeTakeFirstOrThrow();
    const note = final.status === 'queued' || final.status === 'running' ? ` (still going: see GET /sync/${platform}/status)` : '';
    console.log(
      `${platform.padEnd(5)} ${final.status}${final.errorCode ? ` (${final.errorCode})` : ''}${note}: ${counts.games} games, ${counts.achievements ?? 0} achievements, ${counts.earned ?? 0} earned`,
    );
  }
  await db.destroy();

  console.log(`
API docs      ${apiUrl}/docs
Dashboard     ${apiUrl}/admin/dashboard   (sign in with the Bull Board credentials)
Bull Board    ${apiUrl}/admin/queues   (user ${env.BULL_BOARD_USER}, password ${bullBoardPassword})
Metrics       ${apiUrl}/metrics
Sandbox       ${sandboxUrl}/__sandbox/calls
Logs          ${logDir}
Postgres      ${redactUrl(databaseUrl)}
Redis         ${redactUrl(redisUrl)}
Bearer token  ${token}

Try: curl -H "authorization: Bearer $TOKEN" ${apiUrl}/me/games
Running until Ctrl-C.`);
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  await stopAll();
  process.exit(1);
}
