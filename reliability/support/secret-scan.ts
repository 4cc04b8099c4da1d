import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RELIABILITY_LOG_DIR, RELIABILITY_SECRETS_DIR, type RunningSystem, type SystemSecretsRecord } from './system-under-test.ts';

/** A value that must never be written anywhere: what it is, and the value. */
export interface KnownSecret {
  kind: string;
  value: string;
}

/** Text to scan and where it came from (a process, a Redis key, a Bull Board URL, a request). */
export interface ScannedText {
  source: string;
  text: string;
}

/** A secret found: what, where, and the text around it with the secret itself masked (test output is a log too). */
export interface SecretLeak {
  kind: string;
  source: string;
  excerpt: string;
}

/**
 * Secrets recognisable by their shape alone, whoever's they are: the only way to find the secrets of
 * systems whose values the scan was never told (and a second net under the known values).
 */
const SECRET_SHAPES: KnownShape[] = [
  { kind: 'JWT', pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,}/g },
  // Bearer/Basic credentials outside an Authorization header the logger knows to redact.
  { kind: 'bearer credential', pattern: /\bbearer\s+(?!\[redacted\])[A-Za-z0-9._~+/-]{20,}=*/gi },
  { kind: 'basic credential', pattern: /\bbasic\s+(?!\[redacted\])[A-Za-z0-9+/]{16,}={0,2}/gi },
  { kind: 'Xbox XBL3.0 authorization', pattern: /XBL3\.0 x=[^;\s"]+;[A-Za-z0-9._-]{20,}/g },
  // Microsoft refresh tokens: the sandbox rotates to M.C5…, real ones also come as M.R3_BAY.….
  { kind: 'MSA refresh token', pattern: /\bM\.(?:C\d|R3_BAY\.)[A-Za-z0-9!*._-]{16,}/g },
  // The sandbox's seeded credentials and the reliability suite's own accounts (support/sandbox-account-kits.ts).
  { kind: 'sandbox NPSSO', pattern: /\b(?:sandbox|reliability)-npsso-[A-Za-z0-9_-]+/g },
  { kind: 'sandbox MSA refresh token', pattern: /\b(?:sandbox|reliability)-msa-[A-Za-z0-9_-]+/g },
  // A secret under a secret's name that the redaction missed ("npsso":"…", "refresh_token":"…").
  {
    kind: 'unredacted secret field',
    pattern: /"(?:npsso|refresh_?token|access_?token|id_?token|xsts_?token|password|api_?key|secret|client_?secret|encryption_?key)"\s*:\s*"(?!\[redacted\]")[^"]{8,}"/gi,
  },
];
interface KnownShape {
  kind: string;
  pattern: RegExp;
}

/** Shorter values would match by chance; every real secret here is longer. */
const MIN_SECRET_LENGTH = 8;

/** A value as it may be written: as is, percent-encoded (URLs, forms), JSON-escaped. */
function spellings(value: string): string[] {
  return [...new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])];
}

function excerpt(text: string, at: number, length: number, kind: string): string {
  const before = text.slice(Math.max(0, at - 60), at);
  const after = text.slice(at + length, at + length + 60);
  return `${before}<${kind}>${after}`.replace(/\s+/g, ' ');
}

/**
 * Every place a known secret or a secret-shaped string appears in the texts. One leak per kind and
 * source (the first), so a leaking code path does not bury the others.
 */
export function scanForSecrets(texts: Iterable<ScannedText>, secrets: KnownSecret[], options: { shapes?: boolean } = {}): SecretLeak[] {
  const known = secrets
    .filter((s) => s.value.length >= MIN_SECRET_LENGTH)
    .flatMap((s) => spellings(s.value).map((spelling) => ({ kind: s.kind, spelling })));
  const leaks = new Map<string, SecretLeak>();
  const found = (kind: string, source: string, text: string, at: number, length: number) => {
    const key = `${kind}\u0000${source}`;
    if (!leaks.has(key)) leaks.set(key, { kind, source, excerpt: excerpt(text, at, length, kind) });
  };
  for (const { source, text } of texts) {
    for (const { kind, spelling } of known) {
      const at = text.indexOf(spelling);
      if (at >= 0) found(kind, source, text, at, spelling.length);
    }
    if (options.shapes === false) continue;
    for (const { kind, pattern } of SECRET_SHAPES) {
      for (const match of text.matchAll(pattern)) found(kind, source, text, match.index, match[0].length);
    }
  }
  return [...leaks.values()];
}

/** The secrets a system was given, minted or had its sandbox hand out, plus whatever else the caller knows of. */
export function knownSecretsOf(system: RunningSystem, extra: KnownSecret[] = []): KnownSecret[] {
  const { state } = system.sandbox;
  return [
    ...Object.entries(system.givenSecrets).map(([name, value]) => ({ kind: name, value })),
    { kind: 'Bull Board authorization', value: system.bullBoardAuth },
    ...system.userTokens.map((value) => ({ kind: 'user JWT', value })),
    ...state.psn.listAccounts().map((a) => ({ kind: 'NPSSO', value: a.npsso })),
    ...state.xbox.listAccounts().map((a) => ({ kind: 'MSA refresh token', value: a.seedRefreshToken })),
    ...state.issuedSecrets().map((value) => ({ kind: 'platform token issued by the sandbox', value })),
    ...extra,
  ];
}

/** Every key of the system's Redis with its whole value (job hashes, event streams, rate-limit keys, …). */
export async function redisContents(redisUrl: string): Promise<ScannedText[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  try {
    const out: ScannedText[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let value: unknown;
        if (type === 'string') value = await redis.get(key);
        else if (type === 'hash') value = await redis.hgetall(key);
        else if (type === 'list') value = await redis.lrange(key, 0, -1);
        else if (type === 'set') value = await redis.smembers(key);
        else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
        else if (type === 'stream') value = await redis.xrange(key, '-', '+');
        else continue;
        out.push({ source: `redis ${type} ${key}`, text: typeof value === 'string' ? value : JSON.stringify(value) });
      }
    } while (cursor !== '0');
    return out;
  } finally {
    redis.disconnect();
  }
}

/**
 * What an operator's browser gets from Bull Board: the queue list, every queue's jobs in every state
 * (data, options, return values, failure reasons, stack traces), each job on its own and its logs.
 */
export async function bullBoardResponses(system: RunningSystem): Promise<ScannedText[]> {
  const out: ScannedText[] = [];
  const get = async (path: string) => {
    const res = await fetch(`${system.apiUrl}/admin/queues${path}`, { headers: { authorization: system.bullBoardAuth } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`Bull Board ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    out.push({ source: `bull board ${path}`, text });
    return JSON.parse(text) as unknown;
  };
  type QueueView = { name: string; statuses: string[]; jobs: { id: string }[] };
  const { queues } = (await get('/api/queues')) as { queues: QueueView[] };
  for (const queue of queues) {
    const name = encodeURIComponent(queue.name);
    for (const status of queue.statuses) {
      const page = (await get(`/api/queues?activeQueue=${name}&status=${status}&page=1&jobsPerPage=1000`)) as { queues: QueueView[] };
      for (const job of page.queues.find((q) => q.name === queue.name)?.jobs ?? []) {
        await get(`/api/queues/${name}/${encodeURIComponent(job.id)}`);
        await get(`/api/queues/${name}/${encodeURIComponent(job.id)}/logs`);
      }
    }
  }
  await get('/api/job-schedulers');
  return out;
}

/** Every line every process of the system wrote, one text per process. */
export function processOutput(system: RunningSystem): ScannedText[] {
  return system.services.map((s) => ({ source: `process ${s.name}`, text: s.lines.join('\n') }));
}

/**
 * Scans all a system exposes — every process's output, every key in its Redis (every job of every
 * queue in every state), Bull Board's answers, every error body `system.api()` received — for its
 * secrets and for secret-shaped strings. `extraTexts`: more the scenario collected (its own clients'
 * error bodies); `extraSecrets`: more it knows of. Call before `system.stop()` (Redis must be up).
 */
export async function scanSystemForSecrets(
  system: RunningSystem,
  options: { extraTexts?: ScannedText[]; extraSecrets?: KnownSecret[] } = {},
): Promise<{ leaks: SecretLeak[]; scanned: ScannedText[] }> {
  if (!system.redis) throw new Error('scanSystemForSecrets reads the system\'s own single Redis; this system uses one the test owns');
  const scanned = [
    ...processOutput(system),
    ...(await redisContents(system.redisUrl)),
    ...(await bullBoardResponses(system)),
    { source: 'error bodies of system.api()', text: system.errorBodies.join('\n') },
    ...(options.extraTexts ?? []),
  ];
  return { leaks: scanForSecrets(scanned, knownSecretsOf(system, options.extraSecrets)), scanned };
}

/** Every system's recorded secrets from this suite run (see RELIABILITY_SECRETS_DIR). */
export function suiteSecrets(): KnownSecret[] {
  return readTree(RELIABILITY_SECRETS_DIR).flatMap(({ text }) => {
    let record: SystemSecretsRecord;
    try {
      record = JSON.parse(text) as SystemSecretsRecord;
    } catch {
      return []; // being written by a system that is starting right now
    }
    return [
      ...Object.entries(record.secrets).map(([name, value]) => ({ kind: `${name} of ${record.label}`, value })),
      ...record.userTokens.map((value) => ({ kind: `user JWT of ${record.label}`, value })),
      ...record.platformSecrets.map((value) => ({ kind: `platform credential of ${record.label}`, value })),
    ];
  });
}

/** Every log file of this suite run: each process's output and each system's received error bodies. */
export function suiteLogs(): ScannedText[] {
  return readTree(RELIABILITY_LOG_DIR);
}

/** The files of a directory (none if it is not there); a file removed while reading is skipped. */
function readTree(dir: string): ScannedText[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      return [{ source: `${dir.split('/').slice(-2).join('/')}/${name}`, text: readFileSync(join(dir, name), 'utf8') }];
    } catch {
      return [];
    }
  });
}
