import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

/** /metrics behind METRICS_TOKEN, and its queue counts read once per cache window. */

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

let guarded: ApiHarness; // METRICS_TOKEN set
let cached: ApiHarness; // no token; counts cached for a minute, scraped by one test only
let uncached: ApiHarness; // no token; counts read on every scrape
beforeAll(async () => {
  guarded = await createApiHarness({ config: { metricsToken: METRICS_TOKEN } });
  cached = await createApiHarness({ database: guarded.database, app: { metricsQueueCountsTtlMs: 60_000 } });
  uncached = await createApiHarness({ database: guarded.database, app: { metricsQueueCountsTtlMs: 0 } });
});
afterAll(async () => {
  await uncached.close();
  await cached.close();
  await guarded.close();
});

const scrape = (h: ApiHarness, authorization?: string) =>
  h.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

function countCalls(h: ApiHarness) {
  return h.deps.platforms.slugs.map((platform) => vi.spyOn(h.deps.queues[platform]!, 'getJobCounts'));
}

describe('METRICS_TOKEN', () => {
  it('401 problem+json without the bearer token or with a wrong one; 200 with it', async () => {
    const none = await scrape(guarded);
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect(none.json()).toMatchObject({ status: 401, code: 'missing_token', type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(none.body).not.toContain('sync_queue_jobs');

    for (const wrong of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, 'Bearer ', `Basic ${Buffer.from(`ops:${METRICS_TOKEN}`).toString('base64')}`, METRICS_TOKEN]) {
      const res = await scrape(guarded, wrong);
      expect(res.statusCode, wrong).toBe(401);
      expect(res.json().code, wrong).toBe('invalid_token');
      expect(res.body).not.toContain(METRICS_TOKEN);
    }

    const ok = await scrape(guarded, `Bearer ${METRICS_TOKEN}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('sync_queue_jobs{queue="sync-psn",state="waiting"}');
    expect((await scrape(guarded, `bearer ${METRICS_TOKEN}`)).statusCode).toBe(200);
  });

  it('guards /metrics only; without METRICS_TOKEN it stays public', async () => {
    expect((await guarded.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await scrape(uncached)).statusCode).toBe(200);
  });

});

describe('queue counts cache', () => {
  it('two scrapes within the window read the queues once (the second shows the cached counts); concurrent scrapes share the reading', async () => {
    const calls = countCalls(cached);
    const user = await cached.createUser();
    await cached.linkAccount(user, 'steam');

    const first = await scrape(cached);
    expect(first.body).toContain('sync_queue_jobs{queue="sync-steam",state="waiting"} 0');
    expect((await cached.app.inject({ method: 'POST', url: '/sync/steam', headers: await cached.bearer(user) })).statusCode).toBe(202);
    const second = await scrape(cached);
    // Still the first reading: the job just queued is not counted yet.
    expect(second.body).toContain('sync_queue_jobs{queue="sync-steam",state="waiting"} 0');
    const storm = await Promise.all(Array.from({ length: 20 }, () => scrape(cached)));
    expect(storm.every((r) => r.statusCode === 200)).toBe(true);
    for (const spy of calls) expect(spy).toHaveBeenCalledTimes(1);
  });

  it('with a zero window every scrape reads the queues again and sees new jobs', async () => {
    const calls = countCalls(uncached);
    const user = await uncached.createUser();
    await uncached.linkAccount(user, 'psn');
    await scrape(uncached);
    expect((await uncached.app.inject({ method: 'POST', url: '/sync/psn', headers: await uncached.bearer(user) })).statusCode).toBe(202);
    const after = await scrape(uncached);
    expect(after.body).toContain('sync_queue_jobs{queue="sync-psn",state="waiting"} 1');
    for (const spy of calls) expect(spy).toHaveBeenCalledTimes(2);
  });
});
