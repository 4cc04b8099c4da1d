import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createXboxAuthClient,
  xboxAchievementsV1PageSchema,
  xboxAchievementsV2PageSchema,
  xboxHistoryTitlesV1Schema,
  xboxHistoryTitlesV2Schema,
  xboxThrottleSchema,
  xboxTitlehubTitlesSchema,
  type XboxAuthClient,
} from '@ach/platform-clients';
import { startSandbox, type StartedSandbox } from '@ach/platform-sandbox';

/** The recorded Xbox Live bodies (copied byte for byte into the client package's test fixtures). */
const RECORDED = join(import.meta.dirname, '../../../packages/platform-clients/test/fixtures');
const recorded = (file: string): unknown => JSON.parse(readFileSync(join(RECORDED, file), 'utf8'));

const E = { refreshToken: 'sandbox-msa-e', xuid: '2669321029139235' };

/**
 * The key structure of a JSON value: objects by their keys (recursively), arrays by the union of their
 * elements' structure. Values' types are not compared, only which keys exist where.
 */
type Shape = { t: 'leaf' } | { t: 'obj'; keys: Map<string, Shape> } | { t: 'arr'; el: Shape | null };

function shapeOf(value: unknown): Shape {
  if (Array.isArray(value)) return { t: 'arr', el: value.map(shapeOf).reduce<Shape | null>((a, b) => (a ? merge(a, b) : b), null) };
  if (value !== null && typeof value === 'object') return { t: 'obj', keys: new Map(Object.entries(value).map(([k, v]) => [k, shapeOf(v)])) };
  return { t: 'leaf' };
}

function merge(a: Shape, b: Shape): Shape {
  if (a.t === 'leaf') return b;
  if (b.t === 'leaf') return a;
  if (a.t === 'obj' && b.t === 'obj') {
    const keys = new Map(a.keys);
    for (const [k, v] of b.keys) keys.set(k, keys.has(k) ? merge(keys.get(k)!, v) : v);
    return { t: 'obj', keys };
  }
  if (a.t === 'arr' && b.t === 'arr') return { t: 'arr', el: a.el && b.el ? merge(a.el, b.el) : (a.el ?? b.el) };
  return a;
}

/**
 * Every place where both bodies have an object (or a non-empty array of them) must have the same keys.
 * A null or an empty list on either side carries no keys, so there is nothing to compare beneath it.
 */
function keyDifferences(sandbox: unknown, real: unknown): string[] {
  const diffs: string[] = [];
  const walk = (a: Shape, b: Shape, path: string) => {
    if (a.t === 'leaf' || b.t === 'leaf') return;
    if (a.t === 'arr' && b.t === 'arr') {
      if (a.el && b.el) walk(a.el, b.el, `${path}[]`);
      return;
    }
    if (a.t !== b.t) return void diffs.push(`${path || '(root)'}: ${a.t} vs ${b.t}`);
    if (a.t !== 'obj' || b.t !== 'obj') return;
    for (const k of a.keys.keys()) if (!b.keys.has(k)) diffs.push(`${path}.${k}: only in the sandbox`);
    for (const k of b.keys.keys()) if (!a.keys.has(k)) diffs.push(`${path}.${k}: only in the recording`);
    for (const [k, v] of a.keys) if (b.keys.has(k)) walk(v, b.keys.get(k)!, `${path}.${k}`);
  };
  walk(shapeOf(sandbox), shapeOf(real), '');
  return diffs;
}

let sandbox: StartedSandbox;
let xboxAuth: XboxAuthClient;
let authorization: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const base = sandbox.url;
  xboxAuth = createXboxAuthClient({ clientId: 'c', msaBaseUrl: base, userAuthBaseUrl: base, xstsBaseUrl: base, profileBaseUrl: base, http: { timeoutMs: 2_000 } });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  sandbox.state.reset();
  const { xsts } = await xboxAuth.authenticate(E.refreshToken);
  authorization = `XBL3.0 x=${xsts.userHash};${xsts.token}`;
});

async function wire(path: string, contract: string | undefined): Promise<{ status: number; contentType: string | null; body: unknown }> {
  const headers: Record<string, string> = { authorization };
  if (contract !== undefined) headers['x-xbl-contract-version'] = contract;
  const response = await fetch(`${sandbox.url}${path}`, { headers });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.json() };
}

/** The sandbox body parses with the client's schema and has the recording's keys wherever both have any. */
async function expectRecordedShape(path: string, contract: string | undefined, file: string, schema: z.ZodType, adjustRecording?: (body: Record<string, unknown>) => void) {
  const answer = await wire(path, contract);
  expect([answer.status, answer.contentType]).toEqual([200, 'application/json; charset=utf-8']);
  expect(schema.safeParse(answer.body).error).toBeUndefined();
  const real = recorded(file) as Record<string, unknown>;
  expect(schema.safeParse(real).error).toBeUndefined();
  adjustRecording?.(real);
  expect(keyDifferences(answer.body, real)).toEqual([]);
  return answer.body as Record<string, unknown>;
}

const library = () => sandbox.state.xbox.library(E.xuid)!.titles();
const modernTitle = () => library().find((t) => t.definition.kind === 'modern' && t.earnedCount > 0 && t.earnedCount < t.definition.achievementCount)!;
const x360Title = () => library().find((t) => t.definition.kind === 'x360' && t.earnedCount > 0)!;

describe('the key-set comparison itself', () => {
  it('finds a missing and an extra key, deep inside array elements; skips nulls and empty lists', () => {
    expect(keyDifferences({ a: [{ b: 1, c: { d: 1 } }] }, { a: [{ b: 1 }, { c: { e: 1 } }] })).toEqual(['.a[].c.d: only in the sandbox', '.a[].c.e: only in the recording']);
    expect(keyDifferences({ a: null, b: [] }, { a: { x: 1 }, b: [{ y: 1 }] })).toEqual([]);
    expect(keyDifferences({ a: 1 }, { a: 1, b: 2 })).toEqual(['.b: only in the recording']);
  });
});

describe('sandbox Xbox data services answer in the recorded shapes', () => {
  it('titlehub title history (with the decorations the recording holds) = titlehub-titlehistory.json', async () => {
    const body = await expectRecordedShape(
      `/users/xuid(${E.xuid})/titles/titlehistory/decoration/achievement,image,detail,friendswhoplayed,alternateTitleId,gamepass,stats?maxItems=5`,
      '2',
      'xbox/titlehub-titlehistory.json',
      xboxTitlehubTitlesSchema,
    );
    expect((body.titles as unknown[]).length).toBe(5);
  });

  it('titlehub with the client decorations (achievement,image,scid) = titlehub-titleinfo.json, whose isStreamable only the single-title route has', async () => {
    const body = await expectRecordedShape(`/users/xuid(${E.xuid})/titles/titlehistory/decoration/achievement,image,scid`, '2', 'xbox/titlehub-titleinfo.json', xboxTitlehubTitlesSchema, (real) => {
      for (const title of real.titles as Record<string, unknown>[]) delete title.isStreamable;
    });
    const titles = body.titles as { serviceConfigId: string; devices: string[]; titleHistory: { lastTimePlayed: string } }[];
    expect(titles).toHaveLength(40);
    expect(titles.every((t) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(t.serviceConfigId))).toBe(true);
    // Most recently played first, as titlehub lists a history.
    const played = titles.map((t) => Date.parse(t.titleHistory.lastTimePlayed));
    expect([...played].sort((a, b) => b - a)).toEqual(played);
  });

  it('achievements, contract 2 = achievements-v2-page1.json and achievement-detail-v2.json; contract 4 adds only rarity', async () => {
    const title = modernTitle().definition.titleId;
    const path = `/users/xuid(${E.xuid})/achievements?titleId=${title}&maxItems=1000`;
    const v2 = await expectRecordedShape(path, '2', 'xbox/achievements-v2-page1.json', xboxAchievementsV2PageSchema);
    await expectRecordedShape(path, '2', 'xbox/achievement-detail-v2.json', xboxAchievementsV2PageSchema);
    const states = new Set((v2.achievements as { progressState: string }[]).map((a) => a.progressState));
    expect(states).toEqual(new Set(['Achieved', 'InProgress', 'NotStarted']));

    const v4 = (await wire(path, '4')).body as { achievements: Record<string, unknown>[] };
    const parsed = xboxAchievementsV2PageSchema.parse(v4);
    expect(parsed.achievements.every((a) => a.rarity !== undefined && a.rarity.currentPercentage > 0)).toBe(true);
    for (const a of v4.achievements) delete a.rarity;
    expect(keyDifferences(v4, recorded('xbox/achievements-v2-page1.json'))).toEqual([]);
  });

  it('Xbox 360: /achievements contract 1 = achievements-v1-x360-earned.json, /titleachievements = title-achievements-v1-x360-all.json', async () => {
    const title = x360Title().definition.titleId;
    const earned = await expectRecordedShape(`/users/xuid(${E.xuid})/achievements?titleId=${title}`, '1', 'xbox/achievements-v1-x360-earned.json', xboxAchievementsV1PageSchema);
    expect((earned.achievements as { unlocked: boolean }[]).every((a) => a.unlocked)).toBe(true);
    const all = await expectRecordedShape(`/users/xuid(${E.xuid})/titleachievements?titleId=${title}`, '1', 'xbox/title-achievements-v1-x360-all.json', xboxAchievementsV1PageSchema);
    // As recorded: every row unlocked: false with the 2002-11-15 placeholder, earned ones included.
    expect(new Set((all.achievements as { unlocked: boolean; timeUnlocked: string }[]).map((a) => `${a.unlocked} ${a.timeUnlocked}`))).toEqual(
      new Set(['false 2002-11-15T00:00:00.0000000Z']),
    );
    // No header at all is contract 1 on this path.
    expect(keyDifferences((await wire(`/users/xuid(${E.xuid})/achievements?titleId=${title}`, undefined)).body, earned)).toEqual([]);
  });

  it('history/titles: contract 2 = history-titles-v2.json, contract 1 = history-titles-v1.json (composite token, version)', async () => {
    await expectRecordedShape(`/users/xuid(${E.xuid})/history/titles?maxItems=5`, '2', 'xbox/history-titles-v2.json', xboxHistoryTitlesV2Schema);
    const v1 = await expectRecordedShape(`/users/xuid(${E.xuid})/history/titles?maxItems=5`, '1', 'xbox/history-titles-v1.json', xboxHistoryTitlesV1Schema);
    const token = (v1.pagingInfo as { continuationToken: string }).continuationToken;
    expect(token).toMatch(/^5,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(token.split(',')[1]).toBe(v1.version);
  });

  it('the 429 body is the documented {version,currentRequests,maxRequests,periodInSeconds,limitType} with Retry-After', async () => {
    sandbox.state.xbox.setRateLimit(E.xuid, [{ maxRequests: 1, periodSeconds: 15 }]);
    const path = `/users/xuid(${E.xuid})/titles/titlehistory/decoration/achievement`;
    expect((await fetch(`${sandbox.url}${path}`, { headers: { authorization } })).status).toBe(200);
    const throttled = await fetch(`${sandbox.url}${path}`, { headers: { authorization } });
    expect([throttled.status, throttled.headers.get('retry-after'), throttled.headers.get('content-type')]).toEqual([429, '15', 'application/json; charset=utf-8']);
    const body = (await throttled.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['version', 'currentRequests', 'maxRequests', 'periodInSeconds', 'limitType']);
    expect(xboxThrottleSchema.parse(body)).toEqual({ version: 1, currentRequests: 2, maxRequests: 1, periodInSeconds: 15, limitType: 'Rate' });
  });
});
