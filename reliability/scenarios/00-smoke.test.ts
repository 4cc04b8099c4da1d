import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlatforms } from '@ach/platform-registry';
import { linkAccount, requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, type RunningSystem } from '../support/system-under-test.ts';

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem({ label: 'smoke' });
});
afterAll(async () => {
  await system?.stop();
});

describe('the system under test', () => {
  it('runs every service as its own process and syncs each platform end to end', async () => {
    const user = await system.signUp();
    const ids: string[] = [];
    for (const { slug } of builtinPlatforms) {
      await linkAccount(system, user.authorization, slug);
      ids.push(await requestSync(system, user.authorization, slug));
    }
    const runs = await waitForRunsToEnd(system, ids);
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    const codes = await system.stop();
    expect(Object.values(codes).every((c) => c === 0)).toBe(true);
  });
});
