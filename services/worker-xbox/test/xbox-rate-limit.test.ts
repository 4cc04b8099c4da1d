import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import { createXboxSyncHarness, type XboxSyncHarness } from './support/xbox-sync-harness.ts';
import { expectMirrorsSandbox } from './support/xbox-mirror.ts';

/**
 * Xbox Live's per-user budget, scaled down: a burst window of 10 calls per 2 s and a sustained one of
 * 25 per 6 s (Xbox: 100 per 15 s and 300 per 300 s), enforced by the sandbox with 429s exactly as Xbox
 * counts them, and configured the same on the worker (XBOX_RATE_LIMIT_*).
 */
const BURST = { max: 10, seconds: 2 };
const SUSTAIN = { max: 25, seconds: 6 };
const XUID = '2535488888888888';

let h: XboxSyncHarness;

beforeAll(async () => {
  h = await createXboxSyncHarness({
    env: {
      XBOX_RATE_LIMIT_MAX: String(BURST.max),
      XBOX_RATE_LIMIT_WINDOW_MS: String(BURST.seconds * 1000),
      XBOX_RATE_LIMIT_SUSTAIN_MAX: String(SUSTAIN.max),
      XBOX_RATE_LIMIT_SUSTAIN_WINDOW_MS: String(SUSTAIN.seconds * 1000),
    },
  });
  // 24 Xbox One/Series titles (one call each) and 6 Xbox 360 titles (two each), 4 achievements apiece.
  h.sandbox.state.xbox.addAccount({
    refreshToken: 'sandbox-msa-rate-limited',
    xuid: XUID,
    gamertag: 'Throttled',
    userHash: '8888888888888888888',
    library: { titles: 30, achievementsPerTitle: 4, x360Ratio: 0.2, earnedRatio: 0.5 },
  });
  h.sandbox.state.xbox.setRateLimit(XUID, [
    { maxRequests: BURST.max, periodSeconds: BURST.seconds },
    { maxRequests: SUSTAIN.max, periodSeconds: SUSTAIN.seconds },
  ]);
  await h.startWorker();
});

afterAll(async () => {
  await h?.close();
});

describe('the per-user call budget', () => {
  it('a library needing more than 3× the burst window’s budget completes without exceeding it: no 429, one attempt', async () => {
    const userId = await h.createUser();
    await h.link(userId, 'sandbox-msa-rate-limited');
    const { result, calls } = await h.callsDuring(() => h.sync(userId, 'full'), ['xbox.achievements', { xuid: XUID }], ['xbox.historyTitles', { xuid: XUID }], ['xbox.titleAchievements', { xuid: XUID }]);
    const achievementServiceCalls = calls.reduce((a, b) => a + b, 0);
    expect(achievementServiceCalls).toBeGreaterThanOrEqual(3 * BURST.max);
    expect(result.log).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Every call the job made was answered 2xx: Xbox (the sandbox) never had to throttle it.
    expect(result.stats).toMatchObject({ apiCallsFailed: 0, gamesWritten: 30 });
    expect(result.stats.apiCallsTotal).toBe(achievementServiceCalls + 1);
    await expectMirrorsSandbox(h.db, h.sandbox, userId, XUID);
    expect(await parityBreaches(h.db)).toEqual([]);
  });
});
