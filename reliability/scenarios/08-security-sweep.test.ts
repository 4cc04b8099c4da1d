import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { builtinPlatforms } from '@ach/platform-registry';
import { syncQueueName } from '@ach/queue';
import {
  GARBAGE_TOKEN,
  JWT_ATTACKS,
  USER_ROUTES,
  hostileFieldRequests,
  prng,
  randomFuzzRequest,
  signHs256,
  unsignedToken,
  untrustedRs256Signer,
  type FuzzTokens,
  type OpenApi,
} from '@ach/testing';
import { rawRequest, type RawRequest, type RawResponse } from '../support/raw-http.ts';
import { sandboxAccountKit, type LibrarySize } from '../support/sandbox-account-kits.ts';
import { knownSecretsOf, scanForSecrets, scanSystemForSecrets, suiteLogs, suiteSecrets, type KnownSecret, type ScannedText } from '../support/secret-scan.ts';
import { linkAccount, requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, waitFor, type RunningSystem } from '../support/system-under-test.ts';

/**
 * "Security sweep: the fuzz and JWT attack sets, and a scan that no token, NPSSO or refresh token
 * appears in any log line, job payload, Bull Board response or error body of the whole suite."
 *
 * The API's own fuzz and JWT attack sets (@ach/testing's attack-sets, also run by services/api's
 * tests through app.inject) go over real sockets to the running system — from 127.0.0.2, so the
 * per-address lockouts they earn do not lock out this test's own requests. Then every place a
 * secret could end up is scanned: each process's log lines, every key in Redis (job payloads of
 * every queue in every state), Bull Board's API, every error body — for this system's secrets and
 * for secret-shaped strings; and last, every log file the whole suite wrote (vitest.config.ts runs
 * this file after the others) for every system's recorded secrets.
 */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20240817);
const FUZZ_COUNT = 800;
const ATTACKER_ADDRESS = '127.0.0.2';
const WEBHOOK_SECRET = randomBytes(24).toString('base64url');
/** Size does not matter here: secrets flow the same for 3 games as for 3,000. */
const SMALL_LIBRARY: LibrarySize = { titles: 3, achievementsPerTitle: 4 };

/** Text that belongs in no answer to a client: stack frames, paths, driver and database errors. */
const INTERNAL_TEXT =
  /\bat (?:async )?[\w$.<>]+ \(|node_modules|\/work\/|\.ts:\d+|SQLSTATE|syntax error at or near|relation "|violates .* constraint|duplicate key|ECONNREFUSED|ETIMEDOUT|TypeError|ReferenceError|RangeError|Cannot read propert|is not a function|kysely|ioredis|bullmq|internal_error/i;

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem({ label: 'security-sweep', env: { AUTH_WEBHOOK_SECRET: WEBHOOK_SECRET } });
});
afterAll(async () => {
  await system?.stop();
});

/** Every answer with status ≥ 400 the attacks got, for the scan. */
const errorBodies: ScannedText[] = [];

/** Sends attack requests a few at a time; returns one failure line per broken rule. */
async function attack(
  requests: { label: string; request: RawRequest }[],
  judge: (label: string, request: RawRequest, res: RawResponse) => string[],
): Promise<{ failures: string[]; statuses: Map<number, number> }> {
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const { label, request } = requests[i]!;
        let res: RawResponse;
        try {
          res = await rawRequest(system.apiUrl, request, { localAddress: ATTACKER_ADDRESS });
        } catch (error) {
          failures.push(`${label}: ${(error as Error).message}`);
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 400) errorBodies.push({ source: `answer to ${label.slice(0, 120)}`, text: res.body });
        failures.push(...judge(label, request, res));
      }
    }),
  );
  return { failures, statuses };
}

/** The rules every refusal follows: no 5xx, problem+json, nothing internal in the body. */
function refusalRules(label: string, request: RawRequest, res: RawResponse): string[] {
  const out: string[] = [];
  if (res.status >= 500) out.push(`${label} → ${res.status} ${res.body.slice(0, 200)}`);
  if (res.status >= 400) {
    // HEAD answers have no body; Bull Board's own routes answer in its format (as in the API's fuzz test).
    if (request.method !== 'HEAD' && !request.url.startsWith('/admin/queues') && !res.headers['content-type']?.includes('problem+json')) {
      out.push(`${label} → ${res.status} without problem+json (${res.headers['content-type'] ?? 'no content-type'}): ${res.body.slice(0, 120)}`);
    }
    const internal = INTERNAL_TEXT.exec(res.body);
    if (internal) out.push(`${label} → ${res.status} with internal text "${internal[0]}": ${res.body.slice(0, 200)}`);
  }
  return out;
}

describe('security sweep', () => {
  it('the fuzz and JWT attack sets over HTTP, then no secret in any log line, job, Bull Board answer or error body', async () => {
    const owner = await system.signUp();
    const fuzzer = await system.signUp();
    // Never has a sync run: its progress streams end at once (what the fuzz sends to /events).
    const bystander = await system.signUp();

    // Link every platform with credentials (each platform's kit says what its users paste) and sync.
    const syncIds: string[] = [];
    let n = 700;
    for (const platform of builtinPlatforms) {
      const kit = sandboxAccountKit(platform);
      await linkAccount(system, owner.authorization, platform.slug, kit.create(system.sandbox.state, n++, SMALL_LIBRARY).linkBody);
      await linkAccount(system, fuzzer.authorization, platform.slug, kit.create(system.sandbox.state, n++, SMALL_LIBRARY).linkBody);
      syncIds.push(await requestSync(system, owner.authorization, platform.slug));
    }
    const runs = await waitForRunsToEnd(system, syncIds, 60_000);
    expect(runs.map((r) => r.status)).toEqual(syncIds.map(() => 'succeeded'));

    // Credentials the platforms refuse are still the user's secrets: the refusal must not echo them.
    const canaries: KnownSecret[] = [];
    for (const platform of builtinPlatforms) {
      const linkBody = sandboxAccountKit(platform).create(system.sandbox.state, n++, SMALL_LIBRARY).linkBody as Record<string, unknown>;
      const refused = Object.fromEntries(
        Object.entries(linkBody).map(([field, value]) => {
          const canary = `${String(value)}-canary-${randomBytes(9).toString('base64url')}`;
          canaries.push({ kind: `refused ${platform.slug} ${field}`, value: canary });
          return [field, canary];
        }),
      );
      const res = await system.api('PUT', `/accounts/${platform.slug}`, owner.authorization, refused);
      expect(res.status, `${platform.slug} with unknown credentials: ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }

    // The fuzz: random and malformed requests, then every documented field with hostile values.
    const strip = (authorization: string) => authorization.slice('Bearer '.length);
    const expired = await signHs256({ sub: fuzzer.userId, aud: 'authenticated', exp: Math.floor(Date.now() / 1000) - 60 }, system.secrets.jwtSecret);
    const tokens: FuzzTokens = { valid: strip(fuzzer.authorization), other: strip(bystander.authorization), expired, none: unsignedToken(fuzzer.userId), garbage: GARBAGE_TOKEN };
    const r = prng(FUZZ_SEED);
    const randomRequests = Array.from({ length: FUZZ_COUNT }, (_, i) => {
      const request = randomFuzzRequest(r, tokens, WEBHOOK_SECRET);
      return { label: `#${i} ${request.method} ${request.url.slice(0, 80)} [${request.tokenKind}, ${request.contentType}]`, request };
    });
    const fuzz = await attack(randomRequests, refusalRules);
    expect(fuzz.failures, `seed ${FUZZ_SEED}; statuses ${JSON.stringify([...fuzz.statuses])}`).toEqual([]);
    // Most requests should reach deep enough to matter, not bounce at the door.
    expect([...fuzz.statuses.keys()].some((s) => s < 300)).toBe(true);

    const spec = (await system.api<OpenApi>('GET', '/openapi.json')).body;
    const fields = await attack(hostileFieldRequests(spec, { tokens, webhookSecret: WEBHOOK_SECRET }), (label, request, res) => [
      ...refusalRules(label, request, res),
      // A refusal must not hand the 30 KB back.
      ...(res.status >= 400 && res.body.length > 2_000 ? [`${label} → ${res.status} with a ${res.body.length}-byte body`] : []),
    ]);
    expect(fields.failures).toEqual([]);

    // The JWT attacks on every user route: refused with the right code, never served.
    const rsa = await untrustedRs256Signer();
    const jwtRequests = await Promise.all(
      USER_ROUTES.flatMap((route) => {
        const base = { method: route.method, url: route.url, ...(route.payload ? { payload: JSON.stringify(route.payload) } : {}) };
        const contentType: Record<string, string> = route.payload ? { 'content-type': 'application/json' } : {};
        const cases: { name: string; code: string; status?: number; authorization?: () => Promise<string> }[] = [
          { name: 'no token', code: 'missing_token' },
          { name: 'a Basic header', code: 'invalid_token', authorization: async () => 'Basic dXNlcjpwYXNz' },
          ...JWT_ATTACKS.map((a) => ({ ...a, authorization: async () => `Bearer ${await a.token({ userId: fuzzer.userId, secret: system.secrets.jwtSecret, rsa })}` })),
        ];
        return cases.map(async (c) => ({
          label: `${route.method} ${route.url} with ${c.name}`,
          expected: { status: c.status ?? 401, code: c.code },
          request: { ...base, headers: { ...contentType, ...(c.authorization ? { authorization: await c.authorization() } : {}) } },
        }));
      }),
    );
    const expectedOf = new Map(jwtRequests.map((j) => [j.label, j.expected]));
    const jwt = await attack(jwtRequests, (label, request, res) => {
      const expected = expectedOf.get(label)!;
      let code: unknown;
      try {
        code = (JSON.parse(res.body) as { code?: unknown }).code;
      } catch {
        code = undefined;
      }
      return [
        ...refusalRules(label, request, res),
        ...(res.status === expected.status && code === expected.code ? [] : [`${label} → ${res.status} ${String(code)}, expected ${expected.status} ${expected.code}`]),
      ];
    });
    expect(jwt.failures).toEqual([]);

    // Syncs the fuzz started (the fuzzer's accounts are linked) end before the scan, so their jobs are in it.
    await waitFor('every sync run to end', async () => {
      const live = await sql<{ n: number }>`select count(*)::int as n from public.sync_logs where status not in ('succeeded', 'failed', 'cancelled')`.execute(system.db);
      return live.rows[0]!.n === 0;
    }, 60_000, 250);

    const { leaks, scanned } = await scanSystemForSecrets(system, {
      extraTexts: errorBodies,
      extraSecrets: [...canaries, { kind: 'expired user JWT', value: expired }],
    });
    const megabytes = (scanned.reduce((n, t) => n + t.text.length, 0) / 1e6).toFixed(1);
    console.log(
      `attacks: fuzz ${JSON.stringify([...fuzz.statuses])}, fields ${JSON.stringify([...fields.statuses])}, jwt ${JSON.stringify([...jwt.statuses])}; ` +
        `scanned ${scanned.length} texts (${megabytes} MB) for ${knownSecretsOf(system).length + canaries.length + 1} known secrets`,
    );
    expect(leaks).toEqual([]);
    // The scan looked where it says it did: every process's lines, jobs of every platform's queue
    // (as Redis holds them and as Bull Board shows them), and tokens the platforms really issued.
    expect(system.services.every((s) => s.lines.length > 0)).toBe(true);
    for (const { slug } of builtinPlatforms) {
      const queue = syncQueueName(slug);
      expect(scanned.some((t) => t.source.startsWith(`redis hash ${system.queuePrefix}:${queue}:`) && t.text.includes('"data"')), `${queue} jobs in Redis`).toBe(true);
      expect(scanned.some((t) => t.source.startsWith(`bull board /api/queues/${queue}/`)), `${queue} jobs in Bull Board`).toBe(true);
    }
    expect(system.sandbox.state.issuedSecrets().length).toBeGreaterThan(0);
    expect(errorBodies.length).toBeGreaterThan(500);

    // Last, the whole suite's log files (other scenarios' too) for every system's recorded secrets.
    await system.stop();
    const logs = suiteLogs();
    expect(logs.some((l) => l.source.includes('security-sweep-api'))).toBe(true);
    expect(scanForSecrets(logs, suiteSecrets())).toEqual([]);
  });
});
