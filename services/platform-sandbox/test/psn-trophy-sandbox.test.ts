import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPsnAuthClient, createPsnTrophyClient, type PsnAuthClient, type PsnTrophyClient, type PsnTrophyTitle } from '@ach/platform-clients';
import { platformErrorOf } from '@ach/testing';
import { createSandboxState, startSandbox, type StartedSandbox } from '../src/index.ts';
import { psnProgress, psnTrophyRare, type PsnTrophyCounts } from '../src/psn/psn-trophy-catalogue.ts';

const IKEMENZI = { npsso: 'sandbox-npsso-ikemenzi', accountId: '6515971742264256071' };
const DEMO = { npsso: 'sandbox-npsso-demo', accountId: '9007199254740993123' };
const PRIVATE = '5007681186655854753';

let clock = Date.now();
let sandbox: StartedSandbox;
let auth: PsnAuthClient;
let client: PsnTrophyClient;
let token: string;

const signIn = async (npsso: string) => (await auth.exchangeNpsso(npsso)).accessToken;
const api = (path: string, bearer = token) => fetch(`${sandbox.url}/api/trophy/v1${path}`, { headers: { authorization: `Bearer ${bearer}` } });
const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/__sandbox/psn${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
const sum = (c: PsnTrophyCounts) => c.bronze + c.silver + c.gold + c.platinum;
const ref = (t: { npCommunicationId: string; npServiceName: 'trophy' | 'trophy2' }) => ({ npCommunicationId: t.npCommunicationId, npServiceName: t.npServiceName });

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, psn: { now: () => clock } });
  auth = createPsnAuthClient({ authBaseUrl: sandbox.url, apiBaseUrl: sandbox.url, now: () => clock });
  client = createPsnTrophyClient({ apiBaseUrl: sandbox.url, timeoutMs: 5_000 });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  // Real time: 429s say when the window reopens in unix seconds, which the client measures against its own clock.
  clock = Date.now();
  sandbox.state.reset();
  token = await signIn(IKEMENZI.npsso);
  sandbox.state.calls.clear();
});

describe('PSN sandbox trophy lists', () => {
  it('lists the library through the client in one call (limit 800), newest first, exactly as the admin view says', async () => {
    const list = await client.listTrophyTitles(token, 'me');
    const view = (await (await admin('GET', `/accounts/${IKEMENZI.accountId}/library?trophies=false`)).json()) as { titles: { npCommunicationId: string; lastUpdatedDateTime: string; earnedTrophies: PsnTrophyCounts }[] };
    expect(list.titles.map((t) => t.npCommunicationId)).toEqual(view.titles.map((t) => t.npCommunicationId));
    expect(list.titles.map((t) => t.earnedTrophies)).toEqual(view.titles.map((t) => t.earnedTrophies));
    expect([list.titles.length, list.pages, list.complete]).toEqual([100, 1, true]);
    const dates = list.titles.map((t) => t.lastUpdatedDateTime);
    expect(dates).toEqual([...dates].sort().reverse());
    expect(new Set(list.titles.map((t) => t.npServiceName))).toEqual(new Set(['trophy', 'trophy2']));
    expect(sandbox.state.calls.count('psn.trophyTitles')).toBe(1);
  });

  it('a 2,000-title library holds exactly 50,000 trophies, is created at once, pages in 800s, and is the same in every sandbox', async () => {
    const put = await admin('PUT', `/accounts/${DEMO.accountId}/library`, { titles: 2000, earnedRatio: 0.5 });
    expect(await put.json()).toMatchObject({ titleCount: 2000, trophyCount: 50_000 });
    const list = await client.listTrophyTitles(await signIn(DEMO.npsso), DEMO.accountId);
    expect([list.titles.length, list.pages]).toEqual([2000, 3]);
    expect(sandbox.state.calls.snapshot()['psn.trophyTitles']!.byParam).toMatchObject({ 'offset=0': 1, 'offset=800': 1, 'offset=1600': 1 });
    expect(list.titles.reduce((n, t) => n + sum(t.definedTrophies), 0)).toBe(50_000);

    const other = createSandboxState({ psn: { now: () => clock } }).psn.trophies;
    other.putLibrary(DEMO.accountId, { titles: 2000, earnedRatio: 0.5 });
    expect(other.view(DEMO.accountId, false)!.titles.slice(0, 40)).toEqual(sandbox.state.psn.trophies.view(DEMO.accountId, false)!.titles.slice(0, 40));
  });

  it('trophyTitles paging as on PSN: default 100, up to 800, 801 → 400 in the PSN envelope', async () => {
    await admin('PUT', `/accounts/${IKEMENZI.accountId}/library`, { titles: 120 });
    expect(((await (await api('/users/me/trophyTitles')).json()) as { trophyTitles: unknown[]; nextOffset: number }).nextOffset).toBe(100);
    expect((await api('/users/me/trophyTitles?limit=800')).status).toBe(200);
    for (const query of ['limit=801', 'limit=0', 'limit=ten', 'offset=-1']) {
      const res = await api(`/users/me/trophyTitles?${query}`);
      const body = (await res.json()) as { error: { code: number; message: string; referenceId: string } };
      expect([res.status, body.error.code], query).toEqual([400, 2240513]);
      expect(body.error.message).toMatch(/^Bad Request \(query: (limit|offset)\)$/);
    }
  });
});

describe('PSN sandbox per-title answers', () => {
  it('agree with the title list for every title: counts, groups, PSN\'s progress, rarity tiers, platinum only with the whole base game', async () => {
    const list = await client.listTrophyTitles(token, 'me');
    let hidden = 0;
    let groupsSeen = 0;
    for (const title of list.titles) {
      const [defs, mine, groups, myGroups] = await Promise.all([
        client.getTitleTrophies(token, ref(title)),
        client.getUserTrophies(token, 'me', ref(title)),
        client.getTitleTrophyGroups(token, ref(title)),
        client.getUserTrophyGroups(token, 'me', ref(title)),
      ]);
      const byType = (trophies: { trophyType: keyof PsnTrophyCounts }[]) => {
        const c = { bronze: 0, silver: 0, gold: 0, platinum: 0 };
        for (const t of trophies) c[t.trophyType]++;
        return c;
      };
      expect(byType(defs.trophies), title.npCommunicationId).toEqual(title.definedTrophies);
      expect(byType(mine.trophies.filter((t) => t.earned))).toEqual(title.earnedTrophies);
      expect(title.progress).toBe(psnProgress(title.earnedTrophies, title.definedTrophies));
      expect([myGroups.progress, myGroups.earnedTrophies]).toEqual([title.progress, title.earnedTrophies]);
      expect(groups.trophyGroups.map((g) => g.trophyGroupId)).toEqual(myGroups.trophyGroups.map((g) => g.trophyGroupId));
      expect([title.trophyGroupCount, title.hasTrophyGroups]).toEqual([groups.trophyGroups.length, groups.trophyGroups.length > 1]);
      for (const g of groups.trophyGroups) {
        const members = defs.trophies.filter((t) => t.trophyGroupId === g.trophyGroupId);
        expect(byType(members)).toEqual(g.definedTrophies);
        const earned = byType(mine.trophies.filter((t) => t.earned && members.some((m) => m.trophyId === t.trophyId)));
        const mineG = myGroups.trophyGroups.find((x) => x.trophyGroupId === g.trophyGroupId)!;
        expect([mineG.earnedTrophies, mineG.progress]).toEqual([earned, psnProgress(earned, g.definedTrophies)]);
      }
      groupsSeen += groups.trophyGroups.length > 1 ? 1 : 0;
      hidden += defs.trophies.filter((t) => t.trophyHidden).length;
      for (const t of mine.trophies) expect(t.trophyRare).toBe(psnTrophyRare(Number(t.trophyEarnedRate)));
      const platinum = mine.trophies.find((t) => t.trophyType === 'platinum');
      if (platinum) {
        const base = defs.trophies.filter((d) => d.trophyGroupId === 'default' && d.trophyType !== 'platinum').map((d) => d.trophyId);
        expect(platinum.earned).toBe(base.every((id) => mine.trophies.find((t) => t.trophyId === id)!.earned));
      }
      const earnedRates = mine.trophies.filter((t) => t.earned).map((t) => Number(t.trophyEarnedRate));
      if (earnedRates.length > 0) expect(mine.rarestTrophies!.every((t) => Number(t.trophyEarnedRate) === Math.min(...earnedRates))).toBe(true);
      else expect(mine.rarestTrophies).toBeUndefined();
    }
    expect(hidden).toBeGreaterThan(0);
    expect(groupsSeen).toBeGreaterThan(0);
    expect(list.titles.some((t) => t.earnedTrophies.platinum > 0)).toBe(true);
  });

  it('npServiceName as on PSN: a PS4 set asked without it or as trophy2 is 404 2240525, a PS5 set asked as trophy too', async () => {
    const list = await client.listTrophyTitles(token, 'me');
    const ps4 = list.titles.find((t) => t.npServiceName === 'trophy')!;
    const ps5 = list.titles.find((t) => t.npServiceName === 'trophy2')!;
    const wrong = [
      `/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups/all/trophies`,
      `/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups/all/trophies?npServiceName=trophy2`,
      `/users/me/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups/all/trophies?npServiceName=trophy2`,
      `/npCommunicationIds/${ps5.npCommunicationId}/trophyGroups?npServiceName=trophy`,
      `/users/me/npCommunicationIds/${ps5.npCommunicationId}/trophyGroups?npServiceName=trophy`,
    ];
    for (const path of wrong) {
      const res = await api(path);
      expect([res.status, ((await res.json()) as { error: { code: number } }).error.code], path).toEqual([404, 2240525]);
    }
    expect((await api(`/npCommunicationIds/${ps5.npCommunicationId}/trophyGroups/all/trophies`)).status).toBe(200);
    expect((await api(`/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups/all/trophies?npServiceName=trophy`)).status).toBe(200);
    expect((await api(`/npCommunicationIds/${ps4.npCommunicationId}/trophyGroups/009/trophies?npServiceName=trophy`)).status).toBe(404);
  });

  it('PS5 progress trophies: the target on the definition, progress/progressRate on the unearned ones only', async () => {
    await admin('PUT', `/accounts/${IKEMENZI.accountId}/library`, { titles: 400, earnedRatio: 0.3 });
    const library = sandbox.state.psn.trophies.library(IKEMENZI.accountId)!.sorted();
    const owner = library.find((s) => s.definition.trophies.some((t) => t.progressTarget !== undefined && s.progress.earnedAt[t.trophyId] === 0))!;
    const target = owner.definition.trophies.find((t) => t.progressTarget !== undefined && owner.progress.earnedAt[t.trophyId] === 0)!;
    const title = { npCommunicationId: owner.definition.npCommunicationId, npServiceName: 'trophy2' as const };
    const def = (await client.getTitleTrophies(token, title)).trophies.find((t) => t.trophyId === target.trophyId)!;
    const mine = (await client.getUserTrophies(token, 'me', title)).trophies.find((t) => t.trophyId === target.trophyId)!;
    expect(def.trophyProgressTargetValue).toBe(String(target.progressTarget));
    expect(mine.earned).toBe(false);
    expect(Number(mine.progress)).toBeLessThan(target.progressTarget!);
    expect(mine.progressRate).toBe(Math.floor((100 * Number(mine.progress)) / target.progressTarget!));
    expect(mine.earnedDateTime).toBeUndefined();
  });
});

describe('PSN sandbox admin controls', () => {
  it('"change one title": a new trophy earned now, the title moves to the top of the list', async () => {
    const before = await client.listTrophyTitles(token, 'me');
    const res = await admin('POST', `/accounts/${IKEMENZI.accountId}/titles/earn`, {});
    expect(res.status).toBe(200);
    const changed = (await res.json()) as { npCommunicationId: string; earned: number[]; lastUpdatedDateTime: string };
    // Without a name, the oldest title that still has a locked trophy: it climbs from the bottom half.
    expect(before.titles.findIndex((t) => t.npCommunicationId === changed.npCommunicationId)).toBeGreaterThan(50);
    expect(changed.lastUpdatedDateTime).toBe(new Date(Math.floor(clock / 1000) * 1000).toISOString().replace('.000Z', 'Z'));

    const after = await client.listTrophyTitles(token, 'me');
    const top = after.titles[0]!;
    const old = before.titles.find((t) => t.npCommunicationId === changed.npCommunicationId)!;
    expect([top.npCommunicationId, top.lastUpdatedDateTime]).toEqual([changed.npCommunicationId, changed.lastUpdatedDateTime]);
    expect(sum(top.earnedTrophies)).toBe(sum(old.earnedTrophies) + changed.earned.length);
    const mine = await client.getUserTrophies(token, 'me', ref(top));
    const trophy = mine.trophies.find((t) => t.trophyId === changed.earned[0])!;
    expect([trophy.earned, trophy.earnedDateTime]).toEqual([true, changed.lastUpdatedDateTime]);

    const named = (await (await admin('POST', `/accounts/${IKEMENZI.accountId}/titles/earn`, { npCommunicationId: old.npCommunicationId, count: 2 })).json()) as { lastUpdatedDateTime: string };
    expect(named.lastUpdatedDateTime > changed.lastUpdatedDateTime).toBe(true);
    expect((await admin('POST', `/accounts/${IKEMENZI.accountId}/titles/earn`, { npCommunicationId: 'NPWR99999_00' })).status).toBe(404);
    const complete = before.titles.find((t) => t.progress === 100)!;
    expect((await admin('POST', `/accounts/${IKEMENZI.accountId}/titles/earn`, { npCommunicationId: complete.npCommunicationId })).status).toBe(409);
  });

  it('list drop: the next listing leaves 10 % of the titles out (all its pages agree), the one after is whole', async () => {
    expect((await admin('PUT', `/accounts/${IKEMENZI.accountId}/list-drop`, { percent: 10, listings: 1 })).status).toBe(200);
    const pageOf = async (offset: number) => (await (await api(`/users/me/trophyTitles?limit=50&offset=${offset}`)).json()) as { trophyTitles: PsnTrophyTitle[]; totalItemCount: number; nextOffset?: number };
    const first = await pageOf(0);
    const second = await pageOf(50);
    expect([first.totalItemCount, first.trophyTitles.length, second.totalItemCount, second.trophyTitles.length, second.nextOffset]).toEqual([90, 50, 90, 40, undefined]);
    const shrunk = new Set([...first.trophyTitles, ...second.trophyTitles].map((t) => t.npCommunicationId));
    const whole = await client.listTrophyTitles(token, 'me');
    expect(whole.titles).toHaveLength(100);
    expect(whole.titles.filter((t) => !shrunk.has(t.npCommunicationId))).toHaveLength(10);

    await admin('PUT', `/accounts/${IKEMENZI.accountId}/list-drop`, { percent: 50, listings: 3 });
    expect(await admin('DELETE', `/accounts/${IKEMENZI.accountId}/list-drop`).then((r) => r.status)).toBe(204);
    expect((await client.listTrophyTitles(token, 'me')).titles).toHaveLength(100);
  });

  it('one title answers 404 on its per-title endpoints (the rest do not) while it stays on the list', async () => {
    const [gone, kept] = (await client.listTrophyTitles(token, 'me')).titles;
    const res = await admin('PUT', `/accounts/${IKEMENZI.accountId}/titles/${gone!.npCommunicationId}/missing`, { missing: true });
    expect(await res.json()).toEqual({ npCommunicationId: gone!.npCommunicationId, missing: true });
    for (const call of [client.getUserTrophies(token, 'me', ref(gone!)), client.getTitleTrophies(token, ref(gone!)), client.getUserTrophyGroups(token, 'me', ref(gone!))]) {
      const error = await platformErrorOf(call);
      expect([error.kind, error.status]).toEqual(['not_found', 404]);
    }
    await expect(client.getUserTrophies(token, 'me', ref(kept!))).resolves.toBeTruthy();
    expect((await client.listTrophyTitles(token, 'me')).titles.some((t) => t.npCommunicationId === gone!.npCommunicationId)).toBe(true);
    await admin('PUT', `/accounts/${IKEMENZI.accountId}/titles/${gone!.npCommunicationId}/missing`, { missing: false });
    await expect(client.getUserTrophies(token, 'me', ref(gone!))).resolves.toBeTruthy();
  });

  it('request window: the (N+1)th call answers 429 with PSN\'s body and X-RateLimit-Next-Available; the client waits exactly that long; per account', async () => {
    const put = await admin('PUT', `/accounts/${IKEMENZI.accountId}/rate-limit`, { limit: 3, windowSeconds: 900 });
    expect(await put.json()).toMatchObject({ rateLimit: { limit: 3, windowSeconds: 900, used: 0 } });
    for (let i = 0; i < 3; i++) expect((await api('/users/me/trophyTitles')).status).toBe(200);
    const limited = await api('/users/me/trophyTitles');
    const reopens = Math.ceil((clock + 900_000) / 1000);
    expect(limited.status).toBe(429);
    expect(await limited.text()).toBe('{"error":{"code":2138635,"message":"Rate limit exceeded"}}');
    expect({
      next: limited.headers.get('x-ratelimit-next-available'),
      limit: limited.headers.get('x-ratelimit-limit'),
      remaining: limited.headers.get('x-ratelimit-remaining'),
      period: limited.headers.get('x-ratelimit-timeperiod'),
      retryAfter: limited.headers.get('retry-after'),
    }).toEqual({ next: String(reopens), limit: '3', remaining: '0', period: '900', retryAfter: null });

    const error = await platformErrorOf(client.getUserTrophies(token, 'me', { npCommunicationId: 'NPWR00001_00', npServiceName: 'trophy2' }));
    expect([error.kind, error.code]).toEqual(['rate_limited', 'rate_limited']);
    expect(Math.abs(error.retryAfterMs! - (reopens * 1000 - Date.now()))).toBeLessThan(5_000);

    // Another account has its own (unlimited) window; refused calls do not count; the window reopens on time.
    await expect(client.listTrophyTitles(await signIn(DEMO.npsso), 'me')).resolves.toBeTruthy();
    clock += 899_000;
    expect((await api('/users/me/trophyTitles')).status).toBe(429);
    clock += 1_000;
    expect((await api('/users/me/trophyTitles')).status).toBe(200);
    expect((await admin('DELETE', `/accounts/${IKEMENZI.accountId}/rate-limit`)).status).toBe(204);
    for (let i = 0; i < 5; i++) expect((await api('/users/me/trophyTitles')).status).toBe(200);
  });

  it('token controls: an access token expired now → 401 2241025 (auth); refresh works; a revoked refresh token → invalid_credentials', async () => {
    const tokens = await auth.exchangeNpsso(IKEMENZI.npsso);
    await admin('POST', `/accounts/${IKEMENZI.accountId}/state`, { expireTokens: 'access' });
    const expired = await platformErrorOf(client.listTrophyTitles(tokens.accessToken, 'me'));
    expect([expired.kind, expired.code, expired.status]).toEqual(['auth', 'invalid_credentials', 401]);
    const refreshed = await auth.refresh(tokens.refreshToken);
    await expect(client.listTrophyTitles(refreshed.accessToken, 'me')).resolves.toBeTruthy();

    await admin('POST', `/accounts/${IKEMENZI.accountId}/state`, { expireTokens: 'all' });
    expect((await platformErrorOf(auth.refresh(refreshed.refreshToken))).code).toBe('invalid_credentials');
  });

  it('privacy: another user\'s private list is 403 (private), a public one is readable, an unknown account is 404', async () => {
    const privateList = await platformErrorOf(client.listTrophyTitles(token, PRIVATE));
    expect([privateList.kind, privateList.code]).toEqual(['private', 'profile_private']);
    expect((await client.listTrophyTitles(token, DEMO.accountId)).titles).toHaveLength(40);
    expect((await platformErrorOf(client.listTrophyTitles(token, '1234567890123456789'))).kind).toBe('not_found');
  });

  it('faults and call counts work on the trophy endpoints, per title', async () => {
    const [a, b] = (await client.listTrophyTitles(token, 'me')).titles;
    sandbox.state.faults.add({ endpoint: 'psn.userTrophies', kind: 'server_error', match: { npCommunicationId: a!.npCommunicationId } });
    expect((await platformErrorOf(client.getUserTrophies(token, 'me', ref(a!)))).kind).toBe('transient');
    await client.getUserTrophies(token, 'me', ref(a!));
    await client.getUserTrophies(token, 'me', ref(b!));
    expect(sandbox.state.calls.count('psn.userTrophies', { npCommunicationId: a!.npCommunicationId })).toBe(2);
    expect(sandbox.state.calls.count('psn.userTrophies', { npCommunicationId: b!.npCommunicationId, npServiceName: b!.npServiceName })).toBe(1);
  });

  it('admin validation: unknown account 404, bad bodies 400 with issues, new accounts get the library they ask for', async () => {
    expect((await admin('GET', '/accounts/1234567890123456789/library')).status).toBe(404);
    const bad = await admin('PUT', `/accounts/${IKEMENZI.accountId}/rate-limit`, { limit: 0, windowSeconds: 60 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
    expect((await admin('PUT', `/accounts/${IKEMENZI.accountId}/list-drop`, { percent: 120, listings: 1 })).status).toBe(400);
    expect((await admin('PUT', `/accounts/${IKEMENZI.accountId}/library`, { titles: 10, extra: true })).status).toBe(400);
    expect((await admin('PUT', `/accounts/${IKEMENZI.accountId}/titles/NPWR99999_00/missing`, { missing: true })).status).toBe(404);

    const created = await admin('POST', '/accounts', { npsso: 'sandbox-npsso-new', accountId: '1111111111111111111', onlineId: 'newcomer', library: { titles: 7, earnedRatio: 1 } });
    expect(created.status).toBe(201);
    const view = (await (await admin('GET', '/accounts/1111111111111111111/library')).json()) as { titleCount: number; earnedCount: number; trophyCount: number; titles: { trophies: unknown[] }[] };
    expect([view.titleCount, view.earnedCount]).toEqual([7, view.trophyCount]);
    expect(view.titles[0]!.trophies.length).toBeGreaterThan(0);
  });
});
