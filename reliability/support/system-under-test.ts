import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createDb, migrateToLatest, type Database, type Platform } from '@ach/db';
import { builtinPlatforms, workerPlatformEnv } from '@ach/platform-registry';
import { DEMO_ACCOUNTS, startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import { freePort, startOwnPostgres, startOwnRedis, userBearer, type OwnPostgres, type OwnRedis } from '@ach/testing';

const root = join(import.meta.dirname, '../..');
/** Every process's output of the whole suite lands here, one file per process, for the secret scan. */
export const RELIABILITY_LOG_DIR = join(root, '.reliability', 'logs');
/**
 * What each system of the suite was given or handed out (its secrets, the users' tokens, the platform
 * tokens its sandbox issued), one JSON file per system, so the secret scan can look for every system's
 * secrets in every log file. Apart from the logs: these files are the secrets.
 */
export const RELIABILITY_SECRETS_DIR = join(root, '.reliability', 'secrets');

const SECRET_NAME = /SECRET|PASSWORD|TOKEN|_KEY$/;

/** The shape of a file in RELIABILITY_SECRETS_DIR. */
export interface SystemSecretsRecord {
  label: string;
  /** By variable name (plus the Bull Board `Authorization` header). */
  secrets: Record<string, string>;
  userTokens: string[];
  /** Platform credentials users pasted (the sandbox's seeded accounts) and tokens the sandbox issued. */
  platformSecrets: string[];
}

export type ServiceKind = 'api' | 'monitor' | `worker-${Platform}`;

const ENTRY: Record<string, string> = {
  api: 'services/api/src/server.ts',
  monitor: 'services/monitor/src/main.ts',
};
const entryOf = (kind: ServiceKind) => ENTRY[kind] ?? `services/${kind}/src/main.ts`;

/** One running process of the system: its name is its kind plus a replica number (`worker-psn#2`). */
export interface ServiceProcess {
  name: string;
  kind: ServiceKind;
  child: ChildProcess;
  /** Every line it wrote to stdout/stderr so far (pino JSON, or plain text on a crash). */
  lines: string[];
  /** Resolves with the exit code (or the signal's name) once it exits. */
  exited: Promise<number | string>;
}

export interface SystemOptions {
  /** Replicas per worker kind (default 1 each); 0 leaves that worker out. */
  workers?: Partial<Record<Platform, number>>;
  /** Start the monitor (default true). */
  monitor?: boolean;
  /**
   * Use this Redis instead of starting a private single node (e.g. a cluster the test started:
   * a `redis://…` URL the services' REDIS_URL accepts, and a hash-tagged prefix).
   */
  redis?: { url: string; prefix: string };
  /** Extra environment for every service, or per kind. */
  env?: Record<string, string>;
  envFor?: Partial<Record<ServiceKind, Record<string, string>>>;
  /** A label for log file names (defaults to a random one). */
  label?: string;
}

export interface RunningSystem {
  postgres: OwnPostgres;
  /** Undefined when `options.redis` pointed at a Redis the test owns. */
  redis: OwnRedis | undefined;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  apiUrl: string;
  sandbox: StartedSandbox;
  db: Kysely<Database>;
  /** Secrets the system was given; the scan checks none of them leaks. */
  secrets: { jwtSecret: string; encryptionKey: string; bullBoardPassword: string; metricsToken: string };
  /** Every environment value named like a secret that a service got, by name (the above, STEAM_API_KEY, a scenario's own). */
  givenSecrets: Record<string, string>;
  bullBoardAuth: string;
  services: ServiceProcess[];
  /** Starts one more process of a kind (another replica, or a replacement after a kill). */
  startService(kind: ServiceKind, extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  /** Sends a signal and waits for the exit (SIGKILL: at once). */
  signal(service: ServiceProcess, signal: NodeJS.Signals): Promise<number | string>;
  /** Polls until the API's /ready answers 200 (or the deadline). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** A user signed up the Supabase way (auth.users insert; the trigger makes the profile) and a bearer. */
  signUp(email?: string): Promise<{ userId: string; authorization: string }>;
  api<T = unknown>(method: string, path: string, authorization?: string, body?: unknown): Promise<{ status: number; body: T; text: string }>;
  /** Every line every process of this system wrote. */
  allLines(): string[];
  /** Processes that have exited, as `name: code or signal` (empty while every process runs). */
  exitedServices(): string[];
  /** Every `api()` answer with a 4xx/5xx status, as `METHOD path → status body` (also in the log directory). */
  errorBodies: string[];
  /** The bearer tokens `signUp()` minted. */
  userTokens: string[];
  /** SIGTERM to every process, wait for exits, then remove the private servers. Returns exit codes. */
  stop(): Promise<Record<string, number | string>>;
}

/** The environment that points every platform's base URLs at the sandbox: from the registry, not a list. */
export function sandboxPlatformEnv(sandboxUrl: string): Record<string, string> {
  const env: Record<string, string> = {
    STEAM_API_KEY: DEMO_ACCOUNTS.steam.apiKey,
    XBOX_CLIENT_ID: DEMO_ACCOUNTS.xbox.clientId,
  };
  for (const module of builtinPlatforms) {
    for (const name of Object.keys(workerPlatformEnv(module).shape)) if (name.endsWith('_BASE_URL')) env[name] = sandboxUrl;
  }
  return env;
}

/**
 * The whole system as production runs it — api, one or more workers per platform, the monitor, each
 * its own Node process — on a private Postgres cluster and a private Redis on free ports, with the
 * platform sandbox in this process (tests arm faults and read call counts through `sandbox.state`).
 */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const label = options.label ?? randomBytes(3).toString('hex');
  mkdirSync(RELIABILITY_LOG_DIR, { recursive: true });
  const postgres = await startOwnPostgres();
  const redis = options.redis ? undefined : await startOwnRedis();
  const redisUrl = options.redis?.url ?? redis!.url;
  const queuePrefix = options.redis?.prefix ?? 'ach';
  const databaseUrl = postgres.url;
  const db = createDb(databaseUrl, { max: 8, applicationName: 'reliability-test' });
  await migrateToLatest(db, databaseUrl);
  const sandbox = await startSandbox({ port: 0 });
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const secrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    encryptionKey: randomBytes(32).toString('base64'),
    bullBoardPassword: randomBytes(18).toString('base64url'),
    metricsToken: randomBytes(24).toString('base64url'),
  };
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: 'info',
    PORT: String(apiPort),
    PUBLIC_BASE_URL: apiUrl,
    CREDENTIALS_ENCRYPTION_KEY: secrets.encryptionKey,
    SUPABASE_JWT_SECRET: secrets.jwtSecret,
    BULL_BOARD_USER: 'ops',
    BULL_BOARD_PASSWORD: secrets.bullBoardPassword,
    METRICS_TOKEN: secrets.metricsToken,
    ...sandboxPlatformEnv(sandbox.url),
    ...options.env,
  };

  const services: ServiceProcess[] = [];
  const logs = new Map<string, WriteStream>();
  const counters = new Map<ServiceKind, number>();

  async function startService(kind: ServiceKind, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const replica = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, replica);
    const name = `${kind}#${replica}`;
    const env: Record<string, string> = { ...baseEnv, ...options.envFor?.[kind], ...extraEnv };
    if (kind === 'monitor') env.MONITOR_METRICS_PORT ??= String(await freePort());
    const child = spawn(process.execPath, [join(root, entryOf(kind))], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const file = createWriteStream(join(RELIABILITY_LOG_DIR, `${label}-${name.replace('#', '-')}.log`), { flags: 'a' });
    // The lines are kept in memory too; a lost log file (the directory emptied by another run) must not crash the test.
    file.on('error', () => {});
    logs.set(name, file);
    const lines: string[] = [];
    const collect = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        file.write(chunk);
        const parts = (rest + chunk.toString()).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) if (line) lines.push(line);
      });
      stream.on('end', () => rest && lines.push(rest));
    };
    collect(child.stdout!);
    collect(child.stderr!);
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const service: ServiceProcess = { name, kind, child, lines, exited };
    services.push(service);
    // Ready when it says so: the API listens, a worker or the monitor logs that it started.
    await waitFor(`${name} to start`, () => lines.some((l) => /listening|ready|started/i.test(l)) || child.exitCode !== null, 30_000);
    if (child.exitCode !== null) throw new Error(`${name} exited at start (${child.exitCode}): ${lines.slice(-5).join('\n')}`);
    return service;
  }

  async function signal(service: ServiceProcess, sig: NodeJS.Signals): Promise<number | string> {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill(sig);
    return service.exited;
  }

  const bullBoardAuth = `Basic ${Buffer.from(`ops:${secrets.bullBoardPassword}`).toString('base64')}`;
  const errorBodies: string[] = [];
  const userTokens: string[] = [];
  const givenSecrets = Object.fromEntries(
    [baseEnv, ...Object.values(options.envFor ?? {})].flatMap((env) => Object.entries(env ?? {}).filter(([name, value]) => SECRET_NAME.test(name) && value !== '')),
  );
  const errorLog = join(RELIABILITY_LOG_DIR, `${label}-api-errors.log`);
  const recordSecrets = () => {
    mkdirSync(RELIABILITY_SECRETS_DIR, { recursive: true });
    const platformSecrets = [
      ...sandbox.state.psn.listAccounts().map((a) => a.npsso),
      ...sandbox.state.xbox.listAccounts().map((a) => a.seedRefreshToken),
      ...sandbox.state.issuedSecrets(),
    ];
    const record: SystemSecretsRecord = { label, secrets: { ...givenSecrets, bullBoardAuth }, userTokens, platformSecrets };
    writeFileSync(join(RELIABILITY_SECRETS_DIR, `${label}.json`), JSON.stringify(record));
  };
  recordSecrets();
  const system: RunningSystem = {
    postgres,
    redis,
    databaseUrl,
    redisUrl,
    queuePrefix,
    apiUrl,
    sandbox,
    db,
    secrets,
    givenSecrets,
    bullBoardAuth,
    services,
    startService,
    signal,
    async waitReady(timeoutMs = 30_000) {
      await waitFor('the api to be ready', async () => (await fetch(`${apiUrl}/ready`).catch(() => undefined))?.status === 200, timeoutMs);
    },
    async signUp(email = `user-${randomBytes(6).toString('hex')}@reliability.test`) {
      const row = await db.insertInto('auth.users').values({ email, email_confirmed_at: new Date() }).returning('id').executeTakeFirstOrThrow();
      const { authorization } = await userBearer(row.id, secrets.jwtSecret);
      userTokens.push(authorization.slice('Bearer '.length));
      return { userId: row.id, authorization };
    },
    async api(method, path, authorization, body) {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { ...(authorization ? { authorization } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 400) {
        const entry = `${method} ${path} → ${res.status} ${text}`;
        errorBodies.push(entry);
        // The directory is made afresh at the start of each suite run (reliability/support/fresh-output-dirs.ts).
        mkdirSync(RELIABILITY_LOG_DIR, { recursive: true });
        appendFileSync(errorLog, `${entry}\n`);
      }
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed as never, text };
    },
    allLines: () => services.flatMap((s) => s.lines),
    exitedServices: () =>
      services.filter((s) => s.child.exitCode !== null || s.child.signalCode !== null).map((s) => `${s.name}: ${s.child.exitCode ?? s.child.signalCode}`),
    errorBodies,
    userTokens,
    stop() {
      stopping ??= stopEverything();
      return stopping;
    },
  };
  let stopping: Promise<Record<string, number | string>> | undefined;
  async function stopEverything(): Promise<Record<string, number | string>> {
    const codes: Record<string, number | string> = {};
    await Promise.all(
      services.map(async (s) => {
        const force = setTimeout(() => s.child.kill('SIGKILL'), 25_000);
        codes[s.name] = await signal(s, 'SIGTERM');
        clearTimeout(force);
      }),
    );
    for (const file of logs.values()) file.end();
    recordSecrets();
    await sandbox.close();
    await db.destroy();
    await redis?.stop();
    await postgres.destroy();
    return codes;
  }

  try {
    await startService('api');
    for (const { slug } of builtinPlatforms) {
      for (let i = 0; i < (options.workers?.[slug] ?? 1); i++) await startService(`worker-${slug}`);
    }
    if (options.monitor !== false) await startService('monitor');
    await system.waitReady();
  } catch (error) {
    await system.stop().catch(() => {});
    throw error;
  }
  return system;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
