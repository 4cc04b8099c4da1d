import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createXboxAchievementsClient,
  createXboxAuthClient,
  type XboxAchievementsClient,
  type XboxAuthClient,
  type XboxServiceAuth,
} from '@ach/platform-clients';
import { createSandboxState, startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import { platformErrorOf } from '@ach/testing';

const T0 = Date.parse('2026-03-01T12:00:00Z');
let clock = T0;
let sandbox: StartedSandbox;
let xboxAuth: XboxAuthClient;
let client: XboxAchievementsClient;

const E = { refreshToken: 'sandbox-msa-e', xuid: '2669321029139235' };
const DEMO = { refreshToken: 'sandbox-msa-demo', xuid: '2535411111111111' };
const COLLECTOR = { refreshToken: 'sandbox-msa-collector', xuid: '2535422222222222' };

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, xbox: { now: () => clock } });
  const base = sandbox.url;
  xboxAuth = createXboxAuthClient({ clientId: 'c', msaBaseUrl: base, userAuthBaseUrl: base, xstsBaseUrl: base, profileBaseUrl: base, now: () => clock, http: { timeoutMs: 5_000 } });
  client = createXboxAchievementsClient({ achievementsBaseUrl: base, titlehubBaseUrl: base, timeoutMs: 10_000 });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  clock = T0;
  sandbox.state.reset();
});

async function signIn(refreshToken: string): Promise<XboxServiceAuth & { refreshToken: string }> {
  const { msa, xsts } = await xboxAuth.authenticate(refreshToken);
  return { xuid: xsts.xuid, userHash: xsts.userHash, xstsToken: xsts.token, refreshToken: msa.refreshToken };
}

const admin = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
  const response = await fetch(`${sandbox.url}/__sandbox/xbox${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const library = (xuid: string) => sandbox.state.xbox.library(xuid)!.titles();

describe('seeded Xbox libraries', () => {
  it('mix Xbox One/Series and 360 titles, the same in every run, and titlehub reports their progress', async () => {
    const auth = await signIn(E.refreshToken);
    const titles = await client.getTitleHistory(auth);
    expect(titles).toHaveLength(40);
    expect(titles.filter((t) => t.devices.includes('Xbox360'))).toHaveLength(10);
    expect(new Set(titles.map((t) => t.achievement?.sourceVersion))).toEqual(new Set([1, 2]));
    // Deterministic: a second, separate state generates the same library.
    const again = createSandboxState().xbox.library(E.xuid)!.titles();
    expect(again.map((t) => [t.definition.titleId, t.definition.name, t.earnedCount, t.progress.lastPlayed])).toEqual(
      library(E.xuid).map((t) => [t.definition.titleId, t.definition.name, t.earnedCount, t.progress.lastPlayed]),
    );
    for (const t of titles) {
      const owned = library(E.xuid).find((o) => String(o.definition.titleId) === t.titleId)!;
      expect([t.achievement?.currentAchievements, t.achievement?.currentGamerscore, t.achievement?.totalGamerscore]).toEqual([
        owned.earnedCount,
        owned.currentGamerscore,
        owned.definition.totalGamerscore,
      ]);
    }
  });

  it('a 1,000-title × 40-achievement library is generated on demand and listed in one titlehub call', async () => {
    const auth = await signIn(COLLECTOR.refreshToken);
    const titles = await client.getTitleHistory(auth);
    expect(titles).toHaveLength(1000);
    const view = (await admin('GET', `/accounts/${COLLECTOR.xuid}/library`)).body as { titles: { achievements: unknown[]; contract: number }[] };
    expect(view.titles.reduce((n, t) => n + t.achievements.length, 0)).toBe(40_000);
    expect(view.titles.filter((t) => t.contract === 1)).toHaveLength(200);
    expect(sandbox.state.calls.count('xbox.titlehubHistory', { xuid: COLLECTOR.xuid })).toBe(1);
  });

  it('PUT library resizes an account (validated), and the new shape is what every route serves', async () => {
    const put = await admin('PUT', `/accounts/${DEMO.xuid}/library`, { titles: 3, achievementsPerTitle: 7, x360Ratio: 0, earnedRatio: 1 });
    expect(put).toEqual({ status: 200, body: { xuid: DEMO.xuid, library: { titles: 3, achievementsPerTitle: 7, x360Ratio: 0, earnedRatio: 1 } } });
    const auth = await signIn(DEMO.refreshToken);
    const titles = await client.getTitleHistory(auth);
    expect(titles.map((t) => t.achievement?.currentAchievements)).toEqual([7, 7, 7]);
    expect((await admin('PUT', `/accounts/${DEMO.xuid}/library`, { titles: -1 })).status).toBe(400);
    expect((await admin('PUT', `/accounts/${DEMO.xuid}/library`, { achievementsPerTitle: 501 })).status).toBe(400);
    expect((await admin('PUT', '/accounts/1234/library', { titles: 1 })).status).toBe(404);
  });
});

describe('achievements on the same path, by contract version', () => {
  it('modern titles page by continuationToken with contract 2; 360 titles need contract 1 (definitions + earned)', async () => {
    const auth = await signIn(E.refreshToken);
    const paged = createXboxAchievementsClient({ achievementsBaseUrl: sandbox.url, titlehubBaseUrl: sandbox.url, pageSize: 7 });
    const modern = library(E.xuid).find((t) => t.definition.kind === 'modern')!;
    const result = await paged.getAchievements(auth, String(modern.definition.titleId));
    expect(result.found && result.achievements.map((a) => a.id)).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
    expect(result.found && result.achievements.filter((a) => a.progressState === 'Achieved').length).toBe(modern.earnedCount);
    expect(sandbox.state.calls.count('xbox.achievements', { titleId: String(modern.definition.titleId), contract: '2' })).toBe(4);

    const x360 = library(E.xuid).find((t) => t.definition.kind === 'x360' && t.earnedCount > 0)!;
    const legacy = await paged.getXbox360Achievements(auth, String(x360.definition.titleId));
    expect(legacy.found && [legacy.definitions.length, legacy.earned.length]).toEqual([25, x360.earnedCount]);
    // The wrong contract on the same path is an empty list, not the other shape.
    expect(await client.getAchievements(auth, String(x360.definition.titleId))).toEqual({ found: true, contract: 2, achievements: [] });
    const v1OnModern = await client.getXbox360Achievements(auth, String(modern.definition.titleId));
    expect(v1OnModern.found && [v1OnModern.definitions.length, v1OnModern.earned.length]).toEqual([0, 0]);
  });

  it('contract 4 carries rarity; maxItems above 1000 is served 1000 at a time; a bad token is a 400', async () => {
    const auth = await signIn(E.refreshToken);
    const v4 = createXboxAchievementsClient({ achievementsBaseUrl: sandbox.url, titlehubBaseUrl: sandbox.url, modernContractVersion: 4, pageSize: 5000 });
    const modern = library(E.xuid).find((t) => t.definition.kind === 'modern')!;
    const result = await v4.getAchievements(auth, String(modern.definition.titleId));
    expect(result.found && result.contract).toBe(4);
    expect(result.found && result.achievements.every((a) => typeof a.rarity?.currentPercentage === 'number')).toBe(true);
    const bad = await fetch(`${sandbox.url}/users/xuid(${E.xuid})/achievements?titleId=${modern.definition.titleId}&continuationToken=abc`, {
      headers: { authorization: `XBL3.0 x=${auth.userHash};${auth.xstsToken}`, 'x-xbl-contract-version': '2' },
    });
    expect(bad.status).toBe(400);
  });
});

describe('admin controls', () => {
  it('earn: a new unlock now, bumped titlehub progress and last played, and /history/titles lastUnlock', async () => {
    const auth = await signIn(E.refreshToken);
    const title = library(E.xuid).find((t) => t.definition.kind === 'modern' && t.earnedCount < t.definition.achievementCount)!;
    const id = String(title.definition.titleId);
    const before = (await client.getTitleHistory(auth)).find((t) => t.titleId === id)!;
    clock = T0 + 60_000;
    const earned = await admin('POST', `/accounts/${E.xuid}/titles/${id}/earn`, { count: 1 });
    expect(earned.status).toBe(200);
    expect(earned.body.lastPlayed).toBe('2026-03-01T12:01:00.0000000Z');
    const after = (await client.getTitleHistory(auth)).find((t) => t.titleId === id)!;
    expect(after.achievement!.currentAchievements).toBe(before.achievement!.currentAchievements + 1);
    expect(after.achievement!.currentGamerscore).toBeGreaterThanOrEqual(before.achievement!.currentGamerscore);
    expect(after.titleHistory!.lastTimePlayed).toBe('2026-03-01T12:01:00.0000000Z');
    const history = (await client.getHistoryTitles(auth)).find((t) => String(t.titleId) === id)!;
    expect(history.lastUnlock).toBe('2026-03-01T12:01:00.0000000Z');
    const achievements = await client.getAchievements(auth, id);
    const unlocked = achievements.found && achievements.achievements.find((a) => a.id === (earned.body.earned as string[])[0]);
    expect(unlocked && [unlocked.progressState, unlocked.progression.timeUnlocked]).toEqual(['Achieved', '2026-03-01T12:01:00.0000000Z']);
    // On a 360 title the earned list grows.
    const x360 = library(E.xuid).find((t) => t.definition.kind === 'x360' && t.earnedCount < t.definition.achievementCount)!;
    sandbox.state.xbox.earn(E.xuid, x360.definition.titleId, 2);
    const legacy = await client.getXbox360Achievements(auth, String(x360.definition.titleId));
    expect(legacy.found && legacy.earned.length).toBe(x360.earnedCount + 2);
    expect((await admin('POST', `/accounts/${E.xuid}/titles/123/earn`, { count: 1 })).status).toBe(404);
  });

  it('shrink-history drops a share of the title history for the next N calls only', async () => {
    const auth = await signIn(E.refreshToken);
    expect((await admin('POST', `/accounts/${E.xuid}/shrink-history`, { percent: 50, calls: 2 })).status).toBe(200);
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push((await client.getTitleHistory(auth)).length);
    expect(counts).toEqual([20, 20, 40]);
  });

  it('one title answers 404 (skipped: found false) until cleared', async () => {
    const auth = await signIn(E.refreshToken);
    const [modern, x360] = (['modern', 'x360'] as const).map((kind) => String(library(E.xuid).find((t) => t.definition.kind === kind)!.definition.titleId));
    for (const id of [modern!, x360!]) expect((await admin('PUT', `/accounts/${E.xuid}/titles/${id}/not-found`, { notFound: true })).status).toBe(200);
    expect(await client.getAchievements(auth, modern!)).toEqual({ found: false });
    expect(await client.getXbox360Achievements(auth, x360!)).toEqual({ found: false });
    expect((await client.getTitleHistory(auth)).some((t) => t.titleId === modern)).toBe(true);
    await admin('PUT', `/accounts/${E.xuid}/titles/${modern}/not-found`, { notFound: false });
    expect((await client.getAchievements(auth, modern!)).found).toBe(true);
  });

  it('a private profile answers 403 → private / profile_private', async () => {
    const auth = await signIn(E.refreshToken);
    expect((await admin('POST', `/accounts/${E.xuid}/state`, { private: true })).body).toMatchObject({ account: { private: true } });
    let error = await platformErrorOf(client.getTitleHistory(auth));
    expect([error.kind, error.code, error.status]).toEqual(['private', 'profile_private', 403]);
    error = await platformErrorOf(client.getAchievements(auth, String(library(E.xuid)[0]!.definition.titleId)));
    expect(error.code).toBe('profile_private');
    await admin('POST', `/accounts/${E.xuid}/state`, { private: false });
    expect(await client.getTitleHistory(auth)).toHaveLength(40);
  });

  it('rate limit per user: a full window answers 429 with Retry-After until it rolls over; throttled calls count', async () => {
    const auth = await signIn(E.refreshToken);
    const other = await signIn(DEMO.refreshToken);
    const set = await admin('PUT', `/accounts/${E.xuid}/rate-limit`, { windows: [{ maxRequests: 3, periodSeconds: 15 }] });
    expect(set.body).toEqual({ xuid: E.xuid, windows: [{ maxRequests: 3, periodSeconds: 15 }] });
    for (let i = 0; i < 3; i++) await client.getHistoryTitles(auth);
    clock = T0 + 5_000;
    const error = await platformErrorOf(client.getHistoryTitles(auth));
    expect([error.kind, error.code, error.retryAfterMs]).toEqual(['rate_limited', 'rate_limited', 10_000]);
    // Another user is not affected; titlehub counts separately from achievements.
    await expect(client.getHistoryTitles(other)).resolves.toBeDefined();
    await expect(client.getTitleHistory(auth)).resolves.toHaveLength(40);
    expect(sandbox.state.calls.count('xbox.historyTitles', { xuid: E.xuid })).toBe(4);
    clock = T0 + 15_000;
    await expect(client.getHistoryTitles(auth)).resolves.toBeDefined();
    // The documented burst + sustain pair: the sustain window trips after the bursts.
    await admin('PUT', `/accounts/${E.xuid}/rate-limit`, { windows: [{ maxRequests: 2, periodSeconds: 15 }, { maxRequests: 3, periodSeconds: 300 }] });
    for (const at of [0, 1, 20_000]) {
      clock = T0 + 100_000 + at;
      await client.getHistoryTitles(auth);
    }
    clock = T0 + 140_000;
    expect((await platformErrorOf(client.getHistoryTitles(auth))).retryAfterMs).toBe(260_000);
    expect((await admin('PUT', `/accounts/${E.xuid}/rate-limit`, { windows: null })).body).toEqual({ xuid: E.xuid, windows: [] });
    expect((await admin('PUT', `/accounts/${E.xuid}/rate-limit`, { windows: [{ maxRequests: 0, periodSeconds: 15 }] })).status).toBe(400);
  });
});

describe('tokens', () => {
  it('the Microsoft refresh token rotates on every refresh and the used one stops working (the seeded one is a fresh sign-in)', async () => {
    const first = await signIn(E.refreshToken);
    const second = await signIn(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const reused = await platformErrorOf(xboxAuth.authenticate(first.refreshToken));
    expect([reused.kind, reused.code, reused.endpoint]).toEqual(['auth', 'invalid_credentials', 'xbox.msaToken']);
    await expect(signIn(second.refreshToken)).resolves.toMatchObject({ xuid: E.xuid });
    await expect(signIn(E.refreshToken)).resolves.toMatchObject({ xuid: E.xuid });
  });

  it('XSTS expires at NotAfter (16 h) or when expired by admin: data calls answer 401 → auth, a fresh XSTS works', async () => {
    const auth = await signIn(E.refreshToken);
    await expect(client.getTitleHistory(auth)).resolves.toHaveLength(40);
    clock = T0 + 16 * 3600_000;
    let error = await platformErrorOf(client.getTitleHistory(auth));
    expect([error.kind, error.code, error.status]).toEqual(['auth', 'invalid_credentials', 401]);
    const fresh = await signIn(auth.refreshToken);
    await expect(client.getTitleHistory(fresh)).resolves.toHaveLength(40);
    expect((await admin('POST', `/accounts/${E.xuid}/state`, { expireTokens: 'xsts' })).status).toBe(200);
    error = await platformErrorOf(client.getAchievements(fresh, String(library(E.xuid)[0]!.definition.titleId)));
    expect([error.kind, error.status]).toEqual(['auth', 401]);
  });
});

describe('faults and call counts on the data endpoints', () => {
  it('a fault matched to one title fires there only; every call is counted by xuid, titleId and contract', async () => {
    const auth = await signIn(E.refreshToken);
    const [a, b] = library(E.xuid).filter((t) => t.definition.kind === 'modern').map((t) => String(t.definition.titleId));
    sandbox.state.faults.add({ endpoint: 'xbox.achievements', kind: 'server_error', match: { titleId: a! } });
    expect((await platformErrorOf(client.getAchievements(auth, a!))).kind).toBe('transient');
    expect((await client.getAchievements(auth, b!)).found).toBe(true);
    expect((await client.getAchievements(auth, a!)).found).toBe(true);
    sandbox.state.faults.add({ endpoint: 'xbox.titlehubHistory', kind: 'rate_limited', retryAfterSeconds: 9 });
    expect((await platformErrorOf(client.getTitleHistory(auth))).retryAfterMs).toBe(9_000);
    const calls = sandbox.state.calls;
    expect([calls.count('xbox.achievements', { titleId: a! }), calls.count('xbox.achievements', { titleId: b!, contract: '2' }), calls.count('xbox.titlehubHistory', { xuid: E.xuid })]).toEqual([2, 1, 1]);
  });

  it('no or a bad authorization is 401 before anything else', async () => {
    const response = await fetch(`${sandbox.url}/users/xuid(${E.xuid})/titles/titlehistory/decoration/achievement`);
    expect([response.status, response.headers.get('www-authenticate')]).toEqual([401, 'XBL3.0 realm="http://xboxlive.com"']);
    const error = await platformErrorOf(client.getTitleHistory({ xuid: E.xuid, userHash: '1', xstsToken: 'nope' }));
    expect(error.kind).toBe('auth');
  });
});
